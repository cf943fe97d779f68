/**
 * A read-only feed of a room as server-sent events: `GET /chat/<room>/events`. Every chat
 * message in the room (from any server process on the layer) becomes an event named
 * `message`, with the chat entry as JSON data and its id as the event id:
 *
 *   const feed = new EventSource('/chat/lobby/events')
 *   feed.addEventListener('message', (e) => console.log(JSON.parse(e.data).message))
 *
 * The feed joins the room's group like a WebSocket member but takes no part in presence.
 */
import { type Message, ServerSentEventsConsumer } from '@node-channels/core'
import { chatEntrySchema } from './protocol.js'
import { roomGroupName, roomNameSchema } from './rooms.js'

/** The room feed: a `ServerSentEventsConsumer` on the room's group. */
export class RoomFeedConsumer extends ServerSentEventsConsumer {
  override async handle(): Promise<void> {
    const room = roomNameSchema.safeParse(this.scope.url_route?.kwargs.room_name ?? '')
    if (!room.success) {
      const reason = room.error.issues[0]?.message ?? 'Invalid room name.'
      await this.sendResponse(404, `${reason}\n`, {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      })
      return
    }
    this.groups = [roomGroupName(room.data)]
    await this.startStream({ retryMs: 3000 })
  }

  /** A message said in the room: forwarded as a `message` event; a malformed one is skipped. */
  async chat_message(event: Message): Promise<void> {
    const parsed = chatEntrySchema.safeParse(event)
    if (!parsed.success) return
    const { id, authorId, nickname, message, sentAt } = parsed.data
    await this.sendEvent({
      event: 'message',
      id,
      data: { id, authorId, nickname, message, sentAt },
    })
  }

  // Presence traffic in the room's group: the feed is not a member, so it ignores it.
  presence_hello(): void {}
  presence_heartbeat(): void {}
  presence_goodbye(): void {}
}
