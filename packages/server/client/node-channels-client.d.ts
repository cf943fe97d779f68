// Types of the node-channels browser client (node-channels-client.js).

/** The transports a `ChannelsSocket` can use, in order of preference. */
export type Transport = 'websocket' | 'long-poll'

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Transports to try, in order. @default ['websocket', 'long-poll'] */
  transports?: Transport[]
  /** Subprotocols to offer. @default [] */
  protocols?: string[]
  /** Where the server mounted `longPoll()`, on the same host. @default '/lp/' */
  longPollPath?: string
  /** Reconnect after a lost connection (codes 1001, 1005, 1006, 1011-1014). @default true */
  reconnect?: boolean
  /** First reconnection delay; it doubles per attempt, with jitter. @default 500 */
  minReconnectDelayMs?: number
  /** Longest reconnection delay. @default 30000 */
  maxReconnectDelayMs?: number
  /** Attempts before giving up. @default Infinity */
  maxReconnectAttempts?: number
  /** Time a transport has to open before the next one is tried. @default 10000 */
  connectTimeoutMs?: number
}

/** The `close` event: a WebSocket `CloseEvent`'s fields, and whether a reconnection follows. */
export interface ChannelsCloseEvent extends Event {
  readonly code: number
  readonly reason: string
  readonly wasClean: boolean
  readonly willReconnect: boolean
}

/** The `message` event: `data` is a string, an ArrayBuffer, or a Blob (binaryType 'blob'). */
export interface ChannelsMessageEvent extends Event {
  readonly data: string | ArrayBuffer | Blob
}

/** A WebSocket-like connection over a WebSocket or HTTP long polling. */
export declare class ChannelsSocket extends EventTarget {
  static readonly CONNECTING: 0
  static readonly OPEN: 1
  static readonly CLOSING: 2
  static readonly CLOSED: 3
  onopen: ((this: ChannelsSocket, event: Event) => void) | null
  onmessage: ((this: ChannelsSocket, event: ChannelsMessageEvent) => void) | null
  onclose: ((this: ChannelsSocket, event: ChannelsCloseEvent) => void) | null
  onerror: ((this: ChannelsSocket, event: Event) => void) | null
  binaryType: 'arraybuffer' | 'blob'
  readonly readyState: 0 | 1 | 2 | 3
  /** The transport of the current (or last) connection. */
  readonly transport: Transport | null
  /** The subprotocol the server chose, or ''. */
  readonly protocol: string
  /** Reconnection attempts since the last successful open. */
  readonly attempts: number
  readonly url: string
  constructor(url: string | URL, options?: ConnectOptions)
  send(data: string | ArrayBuffer | ArrayBufferView): void
  close(code?: number, reason?: string): void
}

/** Opens a connection: a WebSocket when it can, long polling otherwise. */
export declare function connect(url: string | URL, options?: ConnectOptions): ChannelsSocket
