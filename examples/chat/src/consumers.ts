import { randomUUID } from 'node:crypto'
import {
  type ChannelLayer,
  InvalidChannelLayerError,
  type InvalidFrameError,
  JsonWebsocketConsumer,
  type Message,
} from '@node-channels/core'
import { z } from 'zod'
import type { HistoryStore } from './history.js'
import { Roster } from './presence.js'
import {
  type ChatEntry,
  type ClientMessage,
  chatEntrySchema,
  clientMessageSchema,
  type ErrorCode,
  type Issue,
  MESSAGE_MAX_LENGTH,
  type Member,
  memberSchema,
  type ServerMessage,
} from './protocol.js'
import { roomGroupName, roomNameSchema } from './rooms.js'

/** Where the consumer reports trouble with the layer or the history store. */
export interface ChatLogger {
  warn(message: string): void
}

/** What `ChatConsumer.asAsgi()` is given. */
export interface ChatConsumerInit {
  /** Where each room's last messages are kept. */
  history: HistoryStore
  /**
   * How often a member tells the room it is still there. A member not heard from for three
   * intervals (its process died) drops out of everyone's member list. @default 10000
   */
  presenceIntervalMs?: number
  /** @default console */
  logger?: ChatLogger
}

/** The close code that refuses a socket whose room name breaks the rules (HTTP 403 to the browser). */
export const INVALID_ROOM_CLOSE_CODE = 4400

const presenceSchema = z.object({ member: memberSchema, channel: z.string().min(1).max(200) })
const goodbyeSchema = z.object({ member: memberSchema })

/**
 * The tutorial's `ChatConsumer(AsyncWebsocketConsumer)`, ported: `connect()` joins the room's
 * group and accepts, `receive` sends `chat.message` to the group, `chat_message()` forwards it
 * to the socket, `disconnect()` leaves the group. Beyond the tutorial: clients `join` under a
 * nickname first, get the room's last 50 messages, see who is in the room (presence over the
 * channel layer, so it spans server processes), and get `{type: 'error'}` answers for frames
 * the schema refuses instead of being disconnected.
 */
export class ChatConsumer extends JsonWebsocketConsumer<ClientMessage> {
  override schema: z.ZodType<ClientMessage> = clientMessageSchema
  /** The room, from the URL; set in `connect()`. */
  roomName!: string
  /** The room's channel-layer group; set in `connect()`. */
  roomGroupName!: string

  readonly #history: HistoryStore
  readonly #intervalMs: number
  readonly #logger: ChatLogger
  readonly #roster: Roster
  /** Set once the client has joined under a nickname. */
  #me: Member | null = null
  /** Ids of the messages sent as history, so a broadcast already in it is not shown twice. */
  readonly #historyIds = new Set<string>()
  #timer: NodeJS.Timeout | null = null
  #ticksUnanswered = 0
  #lastTickMs = 0

  constructor(init?: ChatConsumerInit) {
    super()
    if (init === undefined || typeof init.history?.recent !== 'function') {
      throw new TypeError('ChatConsumer needs a history store: ChatConsumer.asAsgi({ history }).')
    }
    this.#history = init.history
    this.#intervalMs = init.presenceIntervalMs ?? 10_000
    if (!Number.isFinite(this.#intervalMs) || this.#intervalMs < 10) {
      throw new RangeError(
        `presenceIntervalMs must be at least 10, not ${JSON.stringify(init.presenceIntervalMs)}.`,
      )
    }
    this.#logger = init.logger ?? console
    this.#roster = new Roster(this.#intervalMs * 3)
  }

  override async connect(): Promise<void> {
    const room = roomNameSchema.safeParse(this.scope.url_route?.kwargs.room_name ?? '')
    if (!room.success) {
      await this.close({ code: INVALID_ROOM_CLOSE_CODE })
      return
    }
    this.roomName = room.data
    this.roomGroupName = roomGroupName(room.data)
    // Join room group
    await this.#layer().groupAdd(this.roomGroupName, this.channelName)
    await this.accept()
  }

  override async disconnect(_code: number): Promise<void> {
    this.#stopTimer()
    if (this.roomGroupName === undefined) return // refused in connect()
    // Leave room group
    await this.#layer().groupDiscard(this.roomGroupName, this.channelName)
    const me = this.#me
    if (me !== null) {
      await this.#groupSend({ type: 'presence.goodbye', member: me })
    }
  }

  // Receive message from WebSocket (validated by `schema`)
  override async receiveJson(content: ClientMessage): Promise<void> {
    if (content.type === 'join') await this.#join(content.nickname)
    else await this.#say(content.message)
  }

  /** A frame the schema refused: tell the sender why, and stay connected. */
  override async receiveInvalid(error: InvalidFrameError): Promise<void> {
    if (error.closeCode === 1003) {
      await this.#sendError(
        'binary_frame',
        'Send JSON text frames; binary frames are not understood.',
      )
    } else if (error.issues.length === 0) {
      await this.#sendError('invalid_json', 'That frame was not valid JSON.')
    } else {
      const issues: Issue[] = error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      }))
      await this.#sendError('invalid_message', issues[0]?.message ?? error.message, issues)
    }
  }

  // Receive message from room group
  async chat_message(event: Message): Promise<void> {
    if (this.#me === null) return // the history sent on join covers it
    const parsed = chatEntrySchema.safeParse(event)
    if (!parsed.success) {
      this.#logger.warn(`Dropped a malformed chat.message in ${this.roomGroupName}.`)
      return
    }
    const { id, authorId, nickname, message, sentAt } = parsed.data
    if (this.#historyIds.delete(id)) return
    // Send message to WebSocket
    await this.#sendToClient({ type: 'message', id, authorId, nickname, message, sentAt })
  }

  /** Someone joined: show them, and tell them (on their own channel) that we are here. */
  async presence_hello(event: Message): Promise<void> {
    const me = this.#me
    const hello = this.#presence(event)
    if (me === null || hello === null || hello.member.id === me.id) return
    const result = this.#roster.upsert(hello.member, Date.now())
    if (result === 'added') await this.#sendToClient({ type: 'joined', member: hello.member })
    await this.#sendMembers()
    try {
      await this.#layer().send(hello.channel, {
        type: 'presence.here',
        member: me,
        channel: this.channelName,
      })
    } catch (error) {
      this.#logger.warn(`Could not answer a presence hello: ${describe(error)}`)
    }
  }

  /** A member answered our hello. */
  async presence_here(event: Message): Promise<void> {
    await this.#heardFrom(event)
  }

  /** A member is still there (and one we missed becomes known). */
  async presence_heartbeat(event: Message): Promise<void> {
    await this.#heardFrom(event)
  }

  /** A member left. */
  async presence_goodbye(event: Message): Promise<void> {
    const parsed = goodbyeSchema.safeParse(event)
    if (this.#me === null || !parsed.success) return
    const member = this.#roster.remove(parsed.data.member.id)
    if (member === null) return
    await this.#sendToClient({ type: 'left', member, reason: 'left' })
    await this.#sendMembers()
  }

  /** Our own timer, delivered through our channel so it runs in turn with every other event. */
  async presence_tick(_event: Message): Promise<void> {
    this.#ticksUnanswered = 0
    this.#lastTickMs = Date.now()
    const me = this.#me
    if (me === null) return
    const expired = this.#roster.expire(Date.now(), me.id)
    for (const member of expired) {
      await this.#sendToClient({ type: 'left', member, reason: 'timeout' })
    }
    if (expired.length > 0) await this.#sendMembers()
    try {
      // Refreshes the membership, so a long-lived socket outlasts the layer's group expiry.
      await this.#layer().groupAdd(this.roomGroupName, this.channelName)
    } catch (error) {
      this.#logger.warn(`Could not refresh the room group: ${describe(error)}`)
    }
    await this.#groupSend({ type: 'presence.heartbeat', member: me, channel: this.channelName })
  }

  /** However the instance ends (disconnect, crash), its timer stops with it. */
  override async dispatch(message: Message): Promise<void> {
    try {
      await super.dispatch(message)
    } catch (error) {
      this.#stopTimer()
      throw error
    }
  }

  async #join(nickname: string): Promise<void> {
    if (this.#me !== null) {
      await this.#sendError(
        'already_joined',
        `You are already in this room as ${this.#me.nickname}.`,
      )
      return
    }
    const me: Member = { id: randomUUID(), nickname }
    this.#me = me
    this.#roster.upsert(me, Date.now())
    let history: ChatEntry[] = []
    let historyFailed = false
    try {
      history = await this.#history.recent(this.roomGroupName)
    } catch (error) {
      historyFailed = true
      this.#logger.warn(`Could not read the history of ${this.roomGroupName}: ${describe(error)}`)
    }
    for (const entry of history) this.#historyIds.add(entry.id)
    await this.#sendToClient({
      type: 'welcome',
      room: this.roomName,
      you: me,
      maxMessageLength: MESSAGE_MAX_LENGTH,
    })
    await this.#sendToClient({ type: 'history', messages: history })
    if (historyFailed) {
      await this.#sendError('history_unavailable', 'Earlier messages cannot be shown right now.')
    }
    await this.#sendMembers()
    await this.#groupSend({ type: 'presence.hello', member: me, channel: this.channelName })
    this.#startTimer()
  }

  async #say(message: string): Promise<void> {
    const me = this.#me
    if (me === null) {
      await this.#sendError('not_joined', 'Join the room with a nickname before sending messages.')
      return
    }
    const entry: ChatEntry = {
      id: randomUUID(),
      authorId: me.id,
      nickname: me.nickname,
      message,
      sentAt: Date.now(),
    }
    try {
      await this.#history.append(this.roomGroupName, entry)
    } catch (error) {
      this.#logger.warn(`Could not store a message of ${this.roomGroupName}: ${describe(error)}`)
    }
    // Send message to room group
    const sent = await this.#groupSend({ type: 'chat.message', ...entry })
    if (!sent) {
      await this.#sendError('send_failed', 'Your message could not be delivered. Try again.')
    }
  }

  async #heardFrom(event: Message): Promise<void> {
    const me = this.#me
    const presence = this.#presence(event)
    if (me === null || presence === null || presence.member.id === me.id) return
    const result = this.#roster.upsert(presence.member, Date.now())
    if (result !== 'unchanged') await this.#sendMembers()
  }

  #presence(event: Message): { member: Member; channel: string } | null {
    const parsed = presenceSchema.safeParse(event)
    if (parsed.success) return parsed.data
    this.#logger.warn(`Dropped a malformed ${event.type} in ${this.roomGroupName}.`)
    return null
  }

  /** Sends to the room's group; false (logged) if the layer failed. */
  async #groupSend(message: Message): Promise<boolean> {
    try {
      await this.#layer().groupSend(this.roomGroupName, message)
      return true
    } catch (error) {
      this.#logger.warn(
        `Could not send ${message.type} to ${this.roomGroupName}: ${describe(error)}`,
      )
      return false
    }
  }

  #sendToClient(message: ServerMessage): Promise<void> {
    return this.sendJson(message)
  }

  #sendMembers(): Promise<void> {
    return this.#sendToClient({ type: 'members', members: this.#roster.list() })
  }

  #sendError(code: ErrorCode, message: string, issues: Issue[] = []): Promise<void> {
    return this.#sendToClient({ type: 'error', code, message, issues })
  }

  #layer(): ChannelLayer {
    if (this.channelLayer === null) {
      throw new InvalidChannelLayerError('The chat needs a channel layer with groups.')
    }
    return this.channelLayer
  }

  #startTimer(): void {
    this.#lastTickMs = Date.now()
    const intervalMs = this.#intervalMs
    // An instance that stops handling its ticks for this long has ended: the timer stops.
    const abandonAfterMs = Math.max(30 * intervalMs, 300_000)
    this.#timer = setInterval(() => {
      if (Date.now() - this.#lastTickMs > abandonAfterMs) {
        this.#stopTimer()
        return
      }
      // While the layer is slow or down, do not pile ticks up in our channel.
      if (this.#ticksUnanswered >= 3) return
      this.#ticksUnanswered += 1
      this.#layer()
        .send(this.channelName, { type: 'presence.tick' })
        .catch((error: unknown) => this.#logger.warn(`Presence tick failed: ${describe(error)}`))
    }, intervalMs)
    this.#timer.unref()
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
