"""Minimal settings for the benchmark: Channels only, no database, no middleware.

BENCH_LAYER selects the channel layer: "memory" (channels.layers.InMemoryChannelLayer) or
"redis" (channels_redis.core.RedisChannelLayer on BENCH_REDIS_URL, keys under BENCH_REDIS_PREFIX).
"""
import os

SECRET_KEY = "benchmark-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
ROOT_URLCONF = None
ASGI_APPLICATION = "benchsite.asgi.application"

_layer = os.environ.get("BENCH_LAYER", "memory")
if _layer == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["BENCH_REDIS_URL"]],
                "prefix": os.environ.get("BENCH_REDIS_PREFIX", "bench"),
            },
        }
    }
elif _layer == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    raise ValueError(f"BENCH_LAYER must be 'memory' or 'redis', got {_layer!r}.")
