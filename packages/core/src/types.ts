/**
 * The application interface: ASGI 3 in TypeScript. Scope and event keys keep ASGI's
 * snake_case spelling; see ../../../docs and the API contract.
 */

/** A header list: lower-case names and latin-1 values, in arrival order. */
export type Headers = Array<[name: string, value: string]>

/** An event or channel-layer message: a plain object with a dotted `type`. Mirrors an ASGI event dict. */
export interface Message {
  type: string
  [key: string]: unknown
}

/** What `URLRouter` puts in `scope.url_route`. */
export interface UrlRoute {
  args: string[]
  kwargs: Record<string, string>
}

/** Keys every connection scope may carry, plus whatever middleware adds. */
export interface BaseScope {
  type: string
  /** `{ version: '3.0', spec_version? }`, set by the protocol server. */
  asgi?: { version: string; spec_version?: string }
  url_route?: UrlRoute
  path_remaining?: string
  [key: string]: unknown
}

/** Keys shared by HTTP and WebSocket scopes. Mirrors the ASGI HTTP/WebSocket connection scope. */
export interface ConnectionScope extends BaseScope {
  /** The URL path, percent-decoded as UTF-8. */
  path: string
  /** The path as sent, a latin-1 string. */
  raw_path?: string
  /** The query string as sent (without `?`), a latin-1 string. */
  query_string: string
  root_path?: string
  headers: Headers
  /** `[host, port]` of the peer, when known. */
  client?: [host: string, port: number] | null
  /** `[host, port]` of the listening socket, when known. */
  server?: [host: string, port: number] | null
  http_version?: string
  scheme?: string
}

/** The scope of one HTTP request. */
export interface HttpScope extends ConnectionScope {
  type: 'http'
  method: string
}

/** The scope of one WebSocket connection. */
export interface WebSocketScope extends ConnectionScope {
  type: 'websocket'
  subprotocols: string[]
}

/** The scope of the server's lifespan (startup and shutdown events). */
export interface LifespanScope extends BaseScope {
  type: 'lifespan'
}

/** The scope of a worker consumer bound to a named channel. Mirrors Channels' `runworker` scope. */
export interface ChannelScope extends BaseScope {
  type: 'channel'
  channel: string
}

/** Any scope an application can be called with. */
export type Scope = HttpScope | WebSocketScope | LifespanScope | ChannelScope

/** Returns the next incoming event. */
export type Receive = () => Promise<Message>

/** Takes one event, or the error that ended the wait for it (see `ServerPort.receiveInto`). */
export interface EventReceiver {
  deliver(message: Message): void
  fail(reason: unknown): void
}

/**
 * What a server may put on the `receive` and the `send` it passes to an application, under
 * `kServerPort`: the object behind both, so that a consumer keeps it, for as long as its
 * connection lives, instead of the two functions. Middleware that wraps either function
 * simply loses it there.
 */
export interface ServerPort {
  /**
   * `receive()` without a promise: hands the next event to `receiver.deliver()` (at once
   * when one is waiting, else when it comes) or an error to `receiver.fail()`. One call, one event.
   */
  receiveInto(receiver: EventReceiver): void
  /** What the `send` it was found on does. */
  send(message: Message): Promise<void>
}

/**
 * Where a server puts its `ServerPort` on the `receive` and the `send` it passes to an
 * application: best defined neither enumerable nor writable, so that a wrapper made by
 * copying a function's properties (`Object.assign`) does not take it along.
 */
export const kServerPort: unique symbol = Symbol.for('node-channels.server-port')

/** The `ServerPort` a server put on `fn` (its `receive` or `send`), if it has `method`. */
export function serverPortOf(fn: unknown, method: keyof ServerPort): ServerPort | null {
  const port = (fn as Partial<Record<typeof kServerPort, unknown>> | null)?.[kServerPort]
  return typeof port === 'object' &&
    port !== null &&
    typeof (port as Partial<ServerPort>)[method] === 'function'
    ? (port as ServerPort)
    : null
}

/** Emits an outgoing event. */
export type Send = (message: Message) => Promise<void>

/**
 * The settled promise a server's `send()` returns when it carried the message out at once.
 * A consumer does not wait for it (any other promise it waits for). Shared through the global
 * symbol registry, so that two copies of this package agree on it.
 */
export const sendDone: Promise<void> = sharedSendDone()

function sharedSendDone(): Promise<void> {
  const registry = globalThis as Record<symbol, Promise<void> | undefined>
  const key = Symbol.for('node-channels.send-done')
  registry[key] ??= Promise.resolve()
  return registry[key]
}

/** An ASGI-style application: one call per connection. */
export type Application = (scope: Scope, receive: Receive, send: Send) => Promise<void>

/**
 * Where the protocol server puts the raw Node `req`/`res` of an HTTP request, so that an
 * application wrapping a Node request listener (Express, Connect) can serve it directly.
 * The key is a symbol, so it never appears in a copied or serialised scope by accident.
 */
export const kNodeHttp: unique symbol = Symbol.for('node-channels.node-http')

/**
 * Where the protocol server puts an `AbortSignal` (on HTTP scopes) that aborts when the server
 * begins a graceful shutdown, so long-lived responses (server-sent events, long polls) can end
 * themselves instead of holding the shutdown for `applicationCloseTimeoutMs`. Absent when no
 * server runs the application (the test communicators).
 */
export const kServerShutdown: unique symbol = Symbol.for('node-channels.server-shutdown')

/**
 * Marks an application that routes on `scope.path` (a `URLRouter`), so that an outer
 * `URLRouter` matches its route as a prefix. Middleware copies the marker from the
 * application it wraps. Mirrors Channels' `_path_routing` attribute.
 */
export const kPathRouting: unique symbol = Symbol.for('node-channels.path-routing')
