"""The benchmark's two consumers, written the way the Channels tutorial writes them."""
from channels.generic.websocket import AsyncWebsocketConsumer

GROUP = "bench"


class EchoConsumer(AsyncWebsocketConsumer):
    """Sends every message back to its sender."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


class ChatConsumer(AsyncWebsocketConsumer):
    """Joins one group on connect; every message is group_send to it, and chat_message relays it."""

    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(GROUP, {"type": "chat.message", "text": text_data})

    async def chat_message(self, event):
        await self.send(text_data=event["text"])
