import { randomBytes } from 'node:crypto'
import {
  type Application,
  ChannelFull,
  type ChannelLayer,
  getChannelLayer,
  type HttpScope,
  kPathRouting,
  type Message,
  MessageTooLarge,
  quoteValue,
  type Receive,
  type Scope,
  type Send,
  type WebSocketScope,
} from '@node-channels/core'
import { ConnectionLimits, connectionLimitsOf, describeRefusal } from '../connection-limits.js'
import { checkScopeOrigin } from '../origin-check.js'
import { BadRequest, decodePath } from '../scope.js'
import { kServerContext, type ServerContext } from '../server-context.js'
import { header, readJsonBody, respond } from './http-io.js'
import { type LongPollOptions, resolveLongPollOptions, serverDefaults } from './options.js'
import { LongPollSession } from './session.js'
import {
  BadBody,
  parseClose,
  parseOpen,
  parseSend,
  SESSION_HEADER,
  SESSION_ID,
  type SessionReply,
  type SessionRequest,
  sessionChannel,
} from './wire.js'

/** The HTTP application `longPoll()` returns, with what the transport runs in this process. */
export interface LongPollApplication extends Application {
  /** Sessions whose application instances run in this process. */
  readonly sessions: number
  /** Closes this process's sessions as a server shutdown does (1001) and waits for them. */
  close(): Promise<void>
}

const ENDPOINTS = { open: 'POST', poll: 'GET', send: 'POST', close: 'POST' } as const
type Endpoint = keyof typeof ENDPOINTS

/** Polls of one session this process may hold waiting at once; one more is answered 429. */
const MAX_PENDING_POLLS = 4

/**
 * Serves a WebSocket application over HTTP long polling, for clients that cannot open a
 * WebSocket: `POST open` runs the application in this process with a WebSocket scope built
 * from the request, `GET poll` waits (up to `pollTimeoutMs`) for what it sent, `POST send`
 * delivers frames, `POST close` disconnects. Requests after `open` may reach any process on
 * the same channel layer: they talk to the session through its layer channel. See
 * docs/workers.md for the protocol.
 *
 * @example
 * const chat = URLRouter([path('ws/chat/:room_name/', ChatConsumer.asAsgi())])
 * export const application = ProtocolTypeRouter({
 *   websocket: chat,
 *   http: URLRouter([path('lp/', longPoll(chat))]),
 * })
 */
export function longPoll(
  websocketApplication: Application,
  options: LongPollOptions = {},
): LongPollApplication {
  if (typeof websocketApplication !== 'function') {
    throw new TypeError(
      `longPoll() needs a WebSocket application, not ${quoteValue(websocketApplication)}.`,
    )
  }
  const settings = resolveLongPollOptions(options)
  const sessions = new Map<string, LongPollSession>()
  /** Polls waiting in this process, per session id. */
  const pendingPolls = new Map<string, number>()
  /** The caps outside `serve()`; inside, the server's (shared with its WebSocket handshakes). */
  let ownLimits: ConnectionLimits | null = null
  const limitsOf = (context: ServerContext | null): ConnectionLimits => {
    if (context !== null) return connectionLimitsOf(context)
    const { maxConnectionsPerClient, maxConnections } = serverDefaults()
    ownLimits ??= new ConnectionLimits(maxConnectionsPerClient, maxConnections)
    return ownLimits
  }

  const app = async (scope: Scope, receive: Receive, send: Send): Promise<void> => {
    if (scope.type !== 'http') {
      throw new TypeError(`longPoll() serves "http" scopes, not ${quoteValue(scope.type)}.`)
    }
    const endpoint = endpointOf(scope, settings.prefix)
    if (endpoint === null) {
      return respond(send, 404, { error: `No long-poll endpoint at ${quoteValue(scope.path)}.` })
    }
    const method = ENDPOINTS[endpoint]
    if (scope.method !== method) {
      return respond(send, 405, { error: `${endpoint} takes ${method}, not ${scope.method}.` }, [
        ['allow', method],
      ])
    }
    const context = (scope as { [kServerContext]?: ServerContext })[kServerContext] ?? null
    const layer = settings.layer ?? getChannelLayer(settings.alias)
    if (layer === null) {
      return respond(send, 503, { error: 'No channel layer is configured for long polling.' })
    }
    const request: RequestContext = { scope, receive, send, layer, context }
    if (endpoint === 'open') return open(request)
    try {
      return await forward(endpoint, request)
    } catch (error) {
      if (!(error instanceof LayerUnavailable)) throw error
      const logger = settings.logger ?? (context?.options ?? serverDefaults()).logger
      logger.warn(`Long polling cannot reach the channel layer: ${String(error.cause)}`)
      return respond(send, 503, { error: 'The channel layer is unavailable; try again later.' })
    }
  }

  interface RequestContext {
    scope: HttpScope
    receive: Receive
    send: Send
    layer: ChannelLayer
    context: ServerContext | null
  }

  async function open({ scope, receive, send, layer, context }: RequestContext): Promise<void> {
    const server = context?.options ?? serverDefaults()
    const logger = settings.logger ?? server.logger
    const peer = (scope.client ?? ['unknown', 0]).join(':')
    // The server's own checks, as for a WebSocket handshake: the origin first (403).
    const refusal = checkScopeOrigin(scope.headers, server)
    if (refusal !== null) {
      logger.warn(`Refused the long-poll session from ${peer}: ${refusal}; answered 403.`)
      return respond(send, 403, { error: `Refused by the origin check: ${refusal}.` })
    }
    const body = await readJsonBody(scope, receive, settings.maxBodyBytes)
    if (!body.ok) return respond(send, body.status, { error: body.error })
    let websocketScope: WebSocketScope
    try {
      websocketScope = buildScope(scope, parseOpen(body.value))
    } catch (error) {
      if (error instanceof BadBody || error instanceof BadRequest) {
        return respond(send, 400, { error: error.message })
      }
      throw error
    }
    const shutdown = context?.shutdown.signal
    if (shutdown?.aborted) return respond(send, 503, { error: 'The server is shutting down.' })
    // Then the caps on sessions and WebSockets together: in total (503), per client (429).
    const client = scope.client?.[0] ?? ''
    const admission = limitsOf(context).acquire(client)
    if (!admission.admitted) {
      const problem = describeRefusal(admission.status, client, server)
      logger.warn(
        `Refused the long-poll session for ${websocketScope.path} from ${peer}: ${problem}; answered ${admission.status}.`,
      )
      return respond(send, admission.status, {
        error:
          admission.status === 503
            ? 'The server holds as many connections as it may; try again later.'
            : 'This address holds as many connections as it may; close one first.',
      })
    }
    const id = randomBytes(16).toString('base64url')
    const session = new LongPollSession({
      id,
      application: websocketApplication,
      scope: websocketScope,
      layer,
      origin: header(scope, 'origin') ?? null,
      pollTimeoutMs: settings.pollTimeoutMs,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      connectTimeoutMs: settings.connectTimeoutMs ?? server.websocketConnectTimeoutMs,
      maxBufferedBytes: settings.maxBufferedBytes ?? server.maxBufferedBytes,
      maxMessageSize: server.websocketMaxMessageSize,
      rateLimit: server.websocketRateLimit,
      applicationCloseTimeoutMs:
        settings.applicationCloseTimeoutMs ?? server.applicationCloseTimeoutMs,
      logger,
      label: `long-poll ${websocketScope.path} from ${peer}`,
    })
    sessions.set(id, session)
    context?.registry.add(session.instance)
    const onShutdown = (): void => session.shutdown()
    shutdown?.addEventListener('abort', onShutdown, { once: true })
    void session.ended.then(() => {
      admission.release()
      sessions.delete(id)
      shutdown?.removeEventListener('abort', onShutdown)
    })
    const handshake = await session.handshake
    if (handshake.kind === 'refuse') {
      return respond(send, handshake.status, { error: handshake.error })
    }
    await respond(
      send,
      200,
      { session: id, subprotocol: handshake.subprotocol, pollTimeoutMs: settings.pollTimeoutMs },
      handshake.headers,
    )
  }

  /** poll, send and close: checked here, answered by the session's process through the layer. */
  async function forward(
    endpoint: Exclude<Endpoint, 'open'>,
    request: RequestContext,
  ): Promise<void> {
    const { scope, send } = request
    const id = header(scope, SESSION_HEADER) ?? ''
    if (!SESSION_ID.test(id)) {
      return respond(send, 404, {
        error: `Unknown session: send the id from open in the ${SESSION_HEADER} header.`,
      })
    }
    if (endpoint === 'poll') {
      const pending = pendingPolls.get(id) ?? 0
      if (pending >= MAX_PENDING_POLLS) {
        return respond(send, 429, {
          error: `${MAX_PENDING_POLLS} polls of this session are waiting already; poll again once one is answered.`,
        })
      }
      pendingPolls.set(id, pending + 1)
      try {
        return await exchange(endpoint, id, request)
      } finally {
        const left = (pendingPolls.get(id) ?? 1) - 1
        if (left > 0) pendingPolls.set(id, left)
        else pendingPolls.delete(id)
      }
    }
    return exchange(endpoint, id, request)
  }

  /** Sends the request to the session's channel and answers with what the session replies. */
  async function exchange(
    endpoint: Exclude<Endpoint, 'open'>,
    id: string,
    { scope, receive, send, layer }: RequestContext,
  ): Promise<void> {
    const origin = header(scope, 'origin') ?? null
    const reply = await unavailableOnError(layer.newChannel('long-poll.reply'))
    let message: SessionRequest
    try {
      if (endpoint === 'poll') {
        const ack = /(?:^|&)ack=(\d{1,15})(?:&|$)/.exec(scope.query_string)?.[1]
        message = {
          type: 'long_poll.poll',
          reply,
          origin,
          ack: ack === undefined ? 0 : Number(ack),
        }
      } else {
        const body = await readJsonBody(scope, receive, settings.maxBodyBytes)
        if (!body.ok) return respond(send, body.status, { error: body.error })
        if (endpoint === 'send') {
          message = { type: 'long_poll.send', reply, origin, ...parseSend(body.value) }
        } else {
          message = { type: 'long_poll.close', reply, origin, ...parseClose(body.value) }
        }
      }
    } catch (error) {
      if (error instanceof BadBody) return respond(send, 400, { error: error.message })
      throw error
    }
    // The client may go away while the request waits: stop waiting then.
    const gone = new AbortController()
    void watchDisconnect(receive, gone)
    try {
      await layer.send(sessionChannel(id), message)
    } catch (error) {
      if (error instanceof ChannelFull) {
        return respond(send, 503, { error: 'The session is not keeping up; try again later.' })
      }
      if (error instanceof MessageTooLarge) {
        return respond(send, 413, { error: 'The frames are too large for the channel layer.' })
      }
      throw new LayerUnavailable('send failed', { cause: error })
    }
    let answer = await waitReply(layer, reply, settings.replyTimeoutMs, gone.signal)
    if (answer?.type === 'long_poll.wait') {
      answer = await waitReply(
        layer,
        reply,
        settings.pollTimeoutMs + settings.replyTimeoutMs,
        gone.signal,
      )
      if (answer === null) return respond(send, 204, null)
    }
    if (answer === null) {
      if (gone.signal.aborted) return respond(send, 204, null)
      return respond(send, 404, { error: 'Unknown or expired session.' })
    }
    if (answer.type === 'long_poll.error')
      return respond(send, answer.status, { error: answer.error })
    if (answer.type === 'long_poll.events') {
      if (answer.events.length === 0) return respond(send, 204, null)
      return respond(send, 200, { events: answer.events })
    }
    return respond(send, 204, null)
  }

  const close = async (): Promise<void> => {
    const open = [...sessions.values()]
    for (const session of open) session.shutdown()
    await Promise.all(open.map((session) => session.instance.exited))
  }
  // A URLRouter matches the transport's route as a prefix and hands it `path_remaining`.
  Object.defineProperty(app, kPathRouting, { value: true, enumerable: true })
  Object.defineProperty(app, 'sessions', { get: () => sessions.size, enumerable: true })
  Object.defineProperty(app, 'close', { value: close, enumerable: true })
  return app as unknown as LongPollApplication
}

// --- helpers ---

/** `open`, `poll`, `send` or `close`, from `path_remaining` under a URLRouter, else after `prefix`. */
function endpointOf(scope: HttpScope, prefix: string): Endpoint | null {
  let rest: string
  if (typeof scope.path_remaining === 'string') rest = scope.path_remaining
  else if (scope.path.startsWith(prefix)) rest = scope.path.slice(prefix.length)
  else return null
  rest = rest.replace(/^\/+/, '').replace(/\/$/, '')
  return Object.hasOwn(ENDPOINTS, rest) ? (rest as Endpoint) : null
}

/** The WebSocket scope the client would have had, from the `open` request and its body. */
function buildScope(
  scope: HttpScope,
  open: { path: string; subprotocols: string[] },
): WebSocketScope {
  const question = open.path.indexOf('?')
  const rawPath = question === -1 ? open.path : open.path.slice(0, question)
  const queryString = question === -1 ? '' : open.path.slice(question + 1)
  const skip = new Set(['content-length', 'content-type', 'transfer-encoding', SESSION_HEADER])
  const websocket: WebSocketScope = {
    type: 'websocket',
    asgi: scope.asgi ?? { version: '3.0', spec_version: '2.4' },
    http_version: scope.http_version ?? '1.1',
    scheme: scope.scheme === 'https' ? 'wss' : 'ws',
    path: decodePath(rawPath),
    raw_path: rawPath,
    query_string: queryString,
    root_path: scope.root_path ?? '',
    headers: scope.headers.filter(([name]) => !skip.has(name)),
    client: scope.client ?? null,
    server: scope.server ?? null,
    subprotocols: open.subprotocols,
  }
  return websocket
}

/** Aborts `gone` when the server reports `http.disconnect` (the request body, if unread, is skipped). */
async function watchDisconnect(receive: Receive, gone: AbortController): Promise<void> {
  try {
    // Bounded: the server sends the body's chunks, then one http.disconnect.
    for (let turn = 0; turn < 100_000; turn++) {
      const event: Message = await receive()
      if (event.type === 'http.disconnect') break
    }
  } catch {
    // The server abandoned the request: nothing more will come.
  }
  gone.abort()
}

/** The session's answer on `reply`, or null after `timeoutMs` or when `gone` aborts. */
async function waitReply(
  layer: ChannelLayer,
  reply: string,
  timeoutMs: number,
  gone: AbortSignal,
): Promise<SessionReply | null> {
  // A timer of its own: on Node 20.20, AbortSignal.any([gone, AbortSignal.timeout(ms)]) was
  // seen never to fire for a request following a first that waited ~5 s, so the request hung.
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  const timer = setTimeout(stop, timeoutMs)
  gone.addEventListener('abort', stop, { once: true })
  if (gone.aborted) stop()
  try {
    return (await layer.receive(reply, { signal: controller.signal })) as SessionReply
  } catch (error) {
    if (controller.signal.aborted) return null
    throw new LayerUnavailable('receive failed', { cause: error })
  } finally {
    clearTimeout(timer)
    gone.removeEventListener('abort', stop)
  }
}

/** The channel layer failed (closed, or its server unreachable): answered 503. */
class LayerUnavailable extends Error {
  override name = 'LayerUnavailable'
}

async function unavailableOnError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise
  } catch (error) {
    throw new LayerUnavailable('the layer call failed', { cause: error })
  }
}
