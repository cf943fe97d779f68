"""A Django Channels process for the interop tests: channels_redis driven over JSON lines.

Usage: python-peer.py --layer core|pubsub --host redis://... [--host ...] --prefix PREFIX [--key KEY ...]

Each stdin line is a command {"id": n, "op": ..., ...}; each answer is one stdout line
{"id": n, "ok": true, "result": ...} or {"id": n, "ok": false, "error": "..."}. Values JSON cannot
carry are tagged: {"$bytes": "<base64>"} for bytes and {"$int": "<decimal>"} for integers beyond
2**53. The first line printed is {"ready": true, ...}.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import sys

import channels_redis
import msgpack
from redis import asyncio as aioredis

SAFE_INTEGER = 2**53 - 1


def from_json(value):
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        if set(value) == {"$int"}:
            return int(value["$int"])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def to_json(value):
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and abs(value) > SAFE_INTEGER:
        return {"$int": str(value)}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def version_tuple(text):
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def make_layer(args):
    keys = args.key or None
    if args.layer == "core":
        from channels_redis.core import RedisChannelLayer

        return RedisChannelLayer(hosts=args.host, prefix=args.prefix, symmetric_encryption_keys=keys), None
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=args.host, prefix=args.prefix, symmetric_encryption_keys=keys)
    if keys and version_tuple(channels_redis.__version__) < (4, 2, 1):
        # channels_redis < 4.2.1 ignores symmetric_encryption_keys for pub/sub (it publishes
        # plaintext). 4.2.1+ wraps msgpack in MultiFernet with make_fernet's key derivation and
        # decrypts with ttl=None; this reproduces that serializer with the same cryptography code.
        from cryptography.fernet import Fernet, MultiFernet

        crypter = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf-8")).digest())) for key in keys]
        )
        layer.serialize = lambda message: crypter.encrypt(msgpack.packb(message))
        layer.deserialize = lambda data: msgpack.unpackb(crypter.decrypt(data, None))
        return layer, "4.2.1 serializer shim"
    return layer, None


class Peer:
    def __init__(self, args):
        self.args = args
        self.layer, self.shim = make_layer(args)
        self.inspector = aioredis.Redis.from_url(args.host[0])

    async def wait_subscribed(self, channel):
        """redis-py sends SUBSCRIBE without waiting for it: wait until Redis counts the subscriber."""
        if self.args.layer != "pubsub":
            return
        for _ in range(200):
            [(_, count)] = await self.inspector.pubsub_numsub(channel)
            if count > 0:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError(f"not subscribed to {channel} after 2 s")

    async def run(self, command):
        op = command["op"]
        layer = self.layer
        if op == "new_channel":
            name = await layer.new_channel()
            await self.wait_subscribed(name)
            return name
        if op == "send":
            await layer.send(command["channel"], from_json(command["message"]))
            return None
        if op == "receive":
            message = await asyncio.wait_for(layer.receive(command["channel"]), command["timeout_ms"] / 1000)
            return to_json(message)
        if op == "listen":
            # A pub/sub named channel only gets messages once subscribed (receive() subscribes).
            await layer._get_layer()._subscribe_to_channel(command["channel"])
            await self.wait_subscribed(command["channel"])
            return None
        if op == "group_add":
            await layer.group_add(command["group"], command["channel"])
            await self.wait_subscribed(f"{self.args.prefix}__group__{command['group']}")
            return None
        if op == "group_discard":
            await layer.group_discard(command["group"], command["channel"])
            return None
        if op == "group_send":
            await layer.group_send(command["group"], from_json(command["message"]))
            return None
        raise ValueError(f"unknown op {op!r}")

    async def handle(self, line):
        command = json.loads(line)
        try:
            answer = {"id": command["id"], "ok": True, "result": await self.run(command)}
        except asyncio.TimeoutError:
            answer = {"id": command["id"], "ok": False, "error": "timeout"}
        except Exception as error:  # noqa: BLE001 - every failure goes back to the test
            answer = {"id": command["id"], "ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)

    async def main(self):
        loop = asyncio.get_running_loop()
        print(json.dumps({"ready": True, "version": channels_redis.__version__, "shim": self.shim}), flush=True)
        tasks = set()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if line.strip():
                task = asyncio.ensure_future(self.handle(line))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        for task in list(tasks):
            task.cancel()
        if self.args.layer == "core":
            await self.layer.close_pools()
        else:
            await self.layer.flush()
        await self.inspector.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layer", choices=["core", "pubsub"], required=True)
    parser.add_argument("--host", action="append", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--key", action="append")
    asyncio.run(Peer(parser.parse_args()).main())


if __name__ == "__main__":
    main()
