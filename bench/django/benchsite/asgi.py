"""ASGI entry point: `daphne benchsite.asgi:application` (run from bench/django)."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import ChatConsumer, EchoConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [
                path("echo/", EchoConsumer.as_asgi()),
                path("broadcast/", ChatConsumer.as_asgi()),
            ]
        ),
    }
)
