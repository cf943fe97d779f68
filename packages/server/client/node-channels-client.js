// node-channels browser client: a WebSocket-like connection that uses a WebSocket when it can
// and falls back to the server's long-polling transport (`longPoll()` in @node-channels/server)
// when it cannot, reconnecting with bounded exponential backoff and jitter.
// A plain ES module with no build step: `import { connect } from '/static/node-channels-client.js'`.

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** Close codes after which the client reconnects (the others were meant: 1000, 1008, 3000-4999...). */
const RECONNECT_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014])

const DEFAULTS = {
  transports: ['websocket', 'long-poll'],
  protocols: [],
  longPollPath: '/lp/',
  reconnect: true,
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 30_000,
  maxReconnectAttempts: Number.POSITIVE_INFINITY,
  connectTimeoutMs: 10_000,
}

/**
 * Opens a connection to a node-channels WebSocket URL (`ws://` or `wss://`; a path is taken
 * relative to the page). Returns a `ChannelsSocket`: `onopen`, `onmessage`, `onclose`,
 * `onerror`, `send()`, `close()`, `readyState`, plus `transport` ('websocket' or
 * 'long-poll') and `addEventListener()`.
 */
export function connect(url, options = {}) {
  return new ChannelsSocket(url, options)
}

/** A WebSocket-like connection over a WebSocket or HTTP long polling. */
export class ChannelsSocket extends EventTarget {
  static CONNECTING = CONNECTING
  static OPEN = OPEN
  static CLOSING = CLOSING
  static CLOSED = CLOSED

  onopen = null
  onmessage = null
  onclose = null
  onerror = null
  /** 'arraybuffer' (default) or 'blob', as on a WebSocket. */
  binaryType = 'arraybuffer'
  readyState = CONNECTING
  /** The transport of the current (or last) connection: 'websocket', 'long-poll' or null. */
  transport = null
  /** The subprotocol the server chose, or ''. */
  protocol = ''
  /** Reconnection attempts since the last successful open. */
  attempts = 0

  #url
  #options
  #link = null
  #closedByUser = false
  #timer = null
  #skipWebSocket = false

  constructor(url, options = {}) {
    super()
    const base = globalThis.location?.href
    const target = new URL(url, base)
    if (target.protocol === 'http:') target.protocol = 'ws:'
    if (target.protocol === 'https:') target.protocol = 'wss:'
    if (target.protocol !== 'ws:' && target.protocol !== 'wss:') {
      throw new SyntaxError(`connect() needs a ws:// or wss:// URL, not ${JSON.stringify(url)}.`)
    }
    this.#url = target
    this.#options = { ...DEFAULTS, ...options }
    for (const transport of this.#options.transports) {
      if (transport !== 'websocket' && transport !== 'long-poll') {
        throw new TypeError(
          `Unknown transport ${JSON.stringify(transport)}: use "websocket" or "long-poll".`,
        )
      }
    }
    this.#start()
  }

  get url() {
    return this.#url.href
  }

  /** Sends a string, an ArrayBuffer or a typed array, as a WebSocket does. */
  send(data) {
    if (this.readyState !== OPEN || this.#link === null) {
      throw new DOMException('The connection is not open.', 'InvalidStateError')
    }
    this.#link.send(data)
  }

  /** Closes the connection for good (no reconnection). */
  close(code = 1000, reason = '') {
    this.#closedByUser = true
    clearTimeout(this.#timer)
    if (this.#link !== null) {
      this.readyState = CLOSING
      this.#link.close(code, reason)
    } else if (this.readyState !== CLOSED) {
      this.#closed({ code, reason, wasClean: true })
    }
  }

  // --- connecting, falling back, reconnecting ---

  async #start() {
    this.readyState = CONNECTING
    const transports = this.#options.transports.filter(
      (transport) => !(transport === 'websocket' && this.#skipWebSocket),
    )
    let webSocketFailed = false
    for (const transport of transports) {
      if (this.#closedByUser) return
      const link = transport === 'websocket' ? openWebSocket(this) : openLongPoll(this)
      const opened = await link.opened
      if (this.#closedByUser) {
        if (opened === 'open') link.close(1000, '')
        return
      }
      if (opened === 'refused') {
        // The application said no (403, 404...): a WebSocket would have been refused too.
        this.#closed({ code: 1006, reason: link.refusal, wasClean: false }, false)
        return
      }
      if (opened !== 'open') {
        if (transport === 'websocket') webSocketFailed = true
        continue
      }
      // A WebSocket that could not open while long polling could (blocked, proxied away) is
      // not tried again by this socket's reconnections.
      if (transport === 'long-poll' && webSocketFailed) this.#skipWebSocket = true
      this.#link = link
      this.transport = transport
      this.protocol = link.protocol
      this.readyState = OPEN
      this.attempts = 0
      this.#emit('open', {})
      return
    }
    this.#closed({ code: 1006, reason: '', wasClean: false })
  }

  /** Called by a link once its connection is over. */
  onLinkClosed(link, event) {
    if (link !== this.#link) return
    this.#link = null
    this.#closed(event)
  }

  /** Called by a link for each message. */
  onLinkMessage(link, data) {
    if (link !== this.#link) return
    if (typeof data !== 'string' && this.binaryType === 'blob') data = new Blob([data])
    this.#emit('message', { data })
  }

  #closed({ code, reason, wasClean }, retry = true) {
    const options = this.#options
    const again =
      retry &&
      !this.#closedByUser &&
      options.reconnect &&
      RECONNECT_CODES.has(code) &&
      this.attempts < options.maxReconnectAttempts
    if (!wasClean) this.#emit('error', {})
    this.readyState = again ? CONNECTING : CLOSED
    this.#emit('close', { code, reason, wasClean, willReconnect: again })
    if (!again) return
    const ceiling = Math.min(
      options.maxReconnectDelayMs,
      options.minReconnectDelayMs * 2 ** Math.min(this.attempts, 30),
    )
    // "Equal jitter": between half and all of the ceiling, so clients spread out after a restart.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2)
    this.attempts += 1
    this.#timer = setTimeout(() => this.#start(), delay)
  }

  #emit(type, fields) {
    const event = Object.assign(new Event(type), fields)
    const handler = this[`on${type}`]
    if (typeof handler === 'function') handler.call(this, event)
    this.dispatchEvent(event)
  }

  get options() {
    return this.#options
  }

  get target() {
    return this.#url
  }
}

// --- transport: WebSocket ---

function openWebSocket(owner) {
  const { protocols, connectTimeoutMs } = owner.options
  let ws
  const link = {
    protocol: '',
    opened: null,
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  }
  link.opened = new Promise((resolve) => {
    try {
      ws = new WebSocket(owner.target.href, protocols)
    } catch {
      resolve('failed') // blocked, or WebSocket missing
      return
    }
    ws.binaryType = 'arraybuffer'
    let open = false
    const timer = setTimeout(() => {
      if (!open) {
        ws.close()
        resolve('failed')
      }
    }, connectTimeoutMs)
    ws.onopen = () => {
      open = true
      clearTimeout(timer)
      link.protocol = ws.protocol
      resolve('open')
    }
    ws.onmessage = (event) => owner.onLinkMessage(link, event.data)
    ws.onclose = (event) => {
      clearTimeout(timer)
      if (!open) resolve('failed')
      else
        owner.onLinkClosed(link, {
          code: event.code,
          reason: event.reason,
          wasClean: event.wasClean,
        })
    }
  })
  return link
}

// --- transport: long polling ---

const SESSION_HEADER = 'node-channels-session'

function openLongPoll(owner) {
  const target = owner.target
  const base = new URL(
    owner.options.longPollPath,
    `${target.protocol === 'wss:' ? 'https:' : 'http:'}//${target.host}`,
  )
  const endpoint = (name) => new URL(name, base).href
  const link = { protocol: '', opened: null, refusal: '', send, close }
  let session = null
  let ack = 0
  let seq = 1
  let ended = false
  const outgoing = []
  let sending = false
  const stop = new AbortController()

  link.opened = (async () => {
    try {
      const response = await fetch(endpoint('open'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          path: target.pathname + target.search,
          subprotocols: owner.options.protocols,
        }),
        signal: AbortSignal.timeout(owner.options.connectTimeoutMs),
      })
      if (response.status === 403 || response.status === 404) {
        link.refusal = `The server refused the connection (${response.status}).`
        return 'refused'
      }
      if (response.status !== 200) return 'failed'
      const body = await response.json()
      session = body.session
      link.protocol = body.subprotocol ?? ''
      void pollLoop()
      return 'open'
    } catch {
      return 'failed'
    }
  })()

  function end(event) {
    if (ended) return
    ended = true
    stop.abort()
    owner.onLinkClosed(link, event)
  }

  async function pollLoop() {
    let failures = 0
    while (!ended) {
      let response
      try {
        response = await fetch(`${endpoint('poll')}?ack=${ack}`, {
          headers: { [SESSION_HEADER]: session },
          signal: stop.signal,
          cache: 'no-store',
        })
      } catch {
        if (ended) return
        // A dropped request: retry twice, then the connection is lost (the server restarted?).
        failures += 1
        if (failures > 2) return end({ code: 1006, reason: '', wasClean: false })
        await new Promise((resolve) => setTimeout(resolve, 500))
        continue
      }
      failures = 0
      if (response.status === 204) continue
      if (response.status !== 200) return end({ code: 1006, reason: '', wasClean: false })
      const { events } = await response.json()
      for (const event of events) {
        if (event.seq <= ack) continue
        ack = event.seq
        if (event.type === 'text') owner.onLinkMessage(link, event.data)
        else if (event.type === 'bytes') owner.onLinkMessage(link, fromBase64(event.data).buffer)
        else if (event.type === 'close') {
          // Acknowledge the close so the server forgets the session at once.
          fetch(`${endpoint('poll')}?ack=${ack}`, { headers: { [SESSION_HEADER]: session } }).catch(
            () => {},
          )
          return end({ code: event.code, reason: event.reason, wasClean: true })
        }
      }
    }
  }

  function send(data) {
    if (typeof data === 'string') outgoing.push({ type: 'text', data })
    else if (data instanceof ArrayBuffer)
      outgoing.push({ type: 'bytes', data: toBase64(new Uint8Array(data)) })
    else if (ArrayBuffer.isView(data)) {
      outgoing.push({
        type: 'bytes',
        data: toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
      })
    } else throw new TypeError('send() takes a string, an ArrayBuffer or a typed array.')
    if (!sending) void flush()
  }

  async function flush() {
    sending = true
    let failures = 0
    while (outgoing.length > 0 && !ended) {
      const frames = outgoing.slice(0, 100)
      let response
      try {
        response = await fetch(endpoint('send'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SESSION_HEADER]: session },
          body: JSON.stringify({ seq, frames }),
          signal: stop.signal,
        })
      } catch {
        if (ended) break
        failures += 1
        if (failures > 2) {
          end({ code: 1006, reason: '', wasClean: false })
          break
        }
        await new Promise((resolve) => setTimeout(resolve, 500))
        continue // the same numbered frames again: the server drops duplicates
      }
      if (response.status === 503) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        continue
      }
      if (response.status !== 204) {
        end({ code: 1006, reason: '', wasClean: false })
        break
      }
      failures = 0
      outgoing.splice(0, frames.length)
      seq += frames.length
    }
    sending = false
  }

  function close(code, reason) {
    if (ended) return
    fetch(endpoint('close'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SESSION_HEADER]: session },
      body: JSON.stringify({ code, reason }),
    }).catch(() => {})
    end({ code, reason, wasClean: true })
  }

  return link
}

function toBase64(bytes) {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

function fromBase64(text) {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
