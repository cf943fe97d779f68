import type { IncomingMessage } from 'node:http'
import type { Server, Socket } from 'node:net'
import type { Headers, HttpScope, WebSocketScope } from '@node-channels/core'
import type { ResolvedOptions } from './options.js'
import { type Address, parseXForwardedFor } from './proxy-headers.js'
import { sharedHeaderName, sharedHeaderPair } from './shared-strings.js'

/** `scope.asgi` of every scope this server builds: one frozen object, shared by them all. */
export const ASGI_VERSION: { readonly version: string; readonly spec_version: string } =
  Object.freeze({
    version: '3.0',
    spec_version: '2.4',
  })

/**
 * The request header that sets `root_path` (percent-decoded), like Daphne's `Daphne-Root-Path`.
 * It is removed from `headers` and wins over the `rootPath` option.
 */
export const ROOT_PATH_HEADER = 'node-channels-root-path'

/** A request the server refuses before any application sees it; carries the HTTP status. */
export class BadRequest extends Error {
  override name = 'BadRequest'
  readonly status: number

  constructor(message: string, status = 400) {
    super(message)
    this.status = status
  }
}

type ScopeOptions = Pick<ResolvedOptions, 'rootPath' | 'proxyHeaders'>

/** Builds the scope of an HTTP request. Mirrors `daphne.http_protocol.WebRequest.process`. */
export function buildHttpScope(req: IncomingMessage, options: ScopeOptions): HttpScope {
  const parts = connectionScope(req, options, false)
  // One literal (no spread): the scope's properties stay in the object, which is smaller.
  return {
    type: 'http',
    asgi: ASGI_VERSION,
    method: req.method ?? 'GET',
    http_version: parts.http_version,
    scheme: parts.scheme,
    path: parts.path,
    raw_path: parts.raw_path,
    query_string: parts.query_string,
    root_path: parts.root_path,
    headers: parts.headers,
    client: parts.client,
    server: parts.server,
  }
}

/**
 * Builds the scope of a WebSocket handshake. Unlike Daphne it carries `scheme` and
 * `http_version`, and keeps repeated headers as separate entries (as HTTP scopes do).
 */
export function buildWebSocketScope(
  req: IncomingMessage,
  subprotocols: string[],
  options: ScopeOptions,
): WebSocketScope {
  const parts = connectionScope(req, options, true)
  return {
    type: 'websocket',
    asgi: ASGI_VERSION,
    subprotocols,
    http_version: parts.http_version,
    scheme: parts.scheme,
    path: parts.path,
    raw_path: parts.raw_path,
    query_string: parts.query_string,
    root_path: parts.root_path,
    headers: parts.headers,
    client: parts.client,
    server: parts.server,
  }
}

/** `"ip:port"` of the peer, for log lines. */
export function describePeer(req: IncomingMessage): string {
  const { remoteAddress, remotePort } = req.socket
  return remoteAddress === undefined ? 'unknown peer' : `${remoteAddress}:${remotePort}`
}

/**
 * Percent-decodes a path as UTF-8; malformed `%` escapes stay as they are (Python's `unquote`).
 * Throws BadRequest when the decoded bytes are not UTF-8.
 */
export function decodePath(raw: string, what = 'path'): string {
  if (!raw.includes('%')) return raw
  const bytes: number[] = []
  for (let i = 0; i < raw.length; i++) {
    const hex = raw.charCodeAt(i) === 0x25 ? raw.slice(i + 1, i + 3) : ''
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(raw.charCodeAt(i))
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes))
  } catch {
    throw new BadRequest(`Invalid UTF-8 in ${what}`)
  }
}

// --- helpers ---

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
// RFC 9110 token (h11's header-name rule, as Daphne checks).
const TOKEN = /^[-!#$%&'*+.^_`|~0-9a-zA-Z]+$/
// Control characters, and the bytes of Daphne's CVE-2026-44546 check (\x0b \x0c \x1c-\x1e \x85).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f\x85]/

interface ConnectionParts {
  http_version: string
  scheme: string
  path: string
  raw_path: string
  query_string: string
  root_path: string
  headers: Headers
  client: Address | null
  server: Address | null
}

function connectionScope(
  req: IncomingMessage,
  options: ScopeOptions,
  websocket: boolean,
): ConnectionParts {
  const target = requestTarget(req.url ?? '/')
  const question = target.indexOf('?')
  const rawPath = question === -1 ? target : target.slice(0, question)
  const queryString = question === -1 ? '' : target.slice(question + 1)
  if (/[\u0080-\uffff]/.test(rawPath)) throw new BadRequest('Invalid characters in path')
  if (/[\u0080-\uffff]/.test(queryString)) throw new BadRequest('Invalid query string')

  let rootPath = options.rootPath
  const raw = req.rawHeaders
  // Sized up front: an array grown by push() keeps spare room for as long as the scope lives.
  const headers: Headers = new Array(raw.length >> 1)
  let count = 0
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = sharedHeaderName(raw[i] ?? '')
    const value = raw[i + 1] ?? ''
    if (!TOKEN.test(name)) throw new BadRequest('Invalid header name')
    if (BAD_VALUE.test(value)) throw new BadRequest('Invalid header value')
    // Prevent CVE-2015-0219: `X_Forwarded_For` would pass for `X-Forwarded-For` in WSGI-style maps.
    if (name.includes('_')) continue
    if (name === ROOT_PATH_HEADER) {
      rootPath = decodePath(value.trim(), 'root path header')
      continue
    }
    headers[count++] = sharedHeaderPair(name, value.trim())
  }
  headers.length = count

  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true
  let scheme = websocket ? (encrypted ? 'wss' : 'ws') : encrypted ? 'https' : 'http'
  let client = address(req.socket.remoteAddress, req.socket.remotePort)
  if (options.proxyHeaders) {
    const [forwarded, proto] = parseXForwardedFor(headers, options.proxyHeaders, client, null)
    client = forwarded
    if (proto !== null) {
      const secure = /^(https|wss)$/i.test(proto.trim())
      scheme = websocket ? (secure ? 'wss' : 'ws') : proto
    }
  }
  return {
    http_version: req.httpVersion === '1.1' ? '1.1' : req.httpVersion,
    scheme,
    path: decodePath(rawPath),
    raw_path: rawPath,
    query_string: queryString,
    root_path: rootPath,
    headers,
    client,
    server: localAddressOf(req.socket),
  }
}

/** The listening [host, port] of each server bound to one address; null for a wildcard one. */
const listeningAddresses = new WeakMap<Server, Address | null>()

/**
 * `scope.server`: the address a server listens on, when it listens on one (no system call per
 * connection, and one frozen tuple shared by every scope), else the socket's own local
 * address (a server on 0.0.0.0 or :: is reached on several).
 */
function localAddressOf(socket: Socket): Address | null {
  const server = (socket as Socket & { server?: Server }).server
  if (server !== undefined) {
    let fixed = listeningAddresses.get(server)
    if (fixed === undefined) {
      const bound = server.address()
      fixed =
        typeof bound === 'object' && bound !== null && !WILDCARDS.has(bound.address)
          ? (Object.freeze([bound.address, bound.port]) as Address)
          : null
      listeningAddresses.set(server, fixed)
      // A server closed and listening again may bind elsewhere.
      server.once('close', () => listeningAddresses.delete(server))
    }
    if (fixed !== null) return fixed
  }
  return address(socket.localAddress, socket.localPort)
}

const WILDCARDS = new Set(['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0'])

/** The origin-form of a request target (absolute-form `http://host/x?y` becomes `/x?y`). */
function requestTarget(url: string): string {
  if (url.startsWith('/') || url === '*') return url
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(url)
  if (!authority) return url
  const rest = url.slice(authority[0].length)
  return rest.startsWith('/') ? rest : `/${rest}`
}

function address(host: string | undefined, port: number | undefined): Address | null {
  return host === undefined || port === undefined ? null : [host, port]
}
