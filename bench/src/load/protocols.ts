/** How a server under test frames application messages. */
export type Protocol = 'plain' | 'socket.io'
/** The two endpoints every server exposes. */
export type Route = 'echo' | 'broadcast'

/** Where a generator connects: a port on 127.0.0.1 and the server's protocol. */
export type Target = { port: number; protocol: Protocol }

/** The request path for `route` (socket.io picks the behaviour from a query parameter). */
export function routePath(protocol: Protocol, route: Route): string {
  return protocol === 'plain'
    ? `/${route}/`
    : `/socket.io/?EIO=4&transport=websocket&bench=${route}`
}

const SAFE_PAYLOAD = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/

/**
 * The text message that carries `payload` to `route`: the payload itself for plain servers,
 * a socket.io EVENT packet (`42["m",...]` to echo, `42["b",...]` to broadcast) for socket.io.
 * Payloads are printable ASCII without quotes or backslashes, so no JSON escaping is needed.
 */
export function appMessage(protocol: Protocol, route: Route, payload: string): string {
  if (!SAFE_PAYLOAD.test(payload)) {
    throw new TypeError(
      `A payload must be printable ASCII without quotes or backslashes, got ${JSON.stringify(payload.slice(0, 40))}.`,
    )
  }
  if (protocol === 'plain') return payload
  return `42["${route === 'echo' ? 'm' : 'b'}","${payload}"]`
}

/** The socket.io EVENT prefix `42["m","` before a payload, and the `"]` after it. */
export const SOCKET_IO_EVENT_PREFIX = 8
export const SOCKET_IO_EVENT_SUFFIX = 2

/** A payload of exactly `bytes` bytes that starts with `head` and is padded with `x`. */
export function padPayload(head: string, bytes: number): string {
  if (head.length > bytes) {
    throw new RangeError(`A payload of ${bytes} bytes cannot hold ${JSON.stringify(head)}.`)
  }
  return head + 'x'.repeat(bytes - head.length)
}
