/** Where access-log lines go: a function (called with each line, no newline) or a writable stream. */
export type AccessLogTarget = ((line: string) => void) | { write(chunk: string): unknown }

/** One access-log event: an HTTP request, or a WebSocket connecting, connecting, rejected or closed. */
export interface AccessLogEntry {
  /** `"ip:port"` of the client, or null when unknown. */
  host: string | null
  /** `"GET /path"`, or `"WSCONNECTING /path"`, `"WSCONNECT /path"`, `"WSREJECT /path"`, `"WSDISCONNECT /path"`. */
  request: string
  /** HTTP status, the close code of a WSDISCONNECT, or null. */
  status?: number | null
  /** Bytes of response body, or null. */
  length?: number | null
  date?: Date
}

/** Writes access-log entries; `null` target means the log is off. */
export type AccessLog = (entry: AccessLogEntry) => void

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/**
 * Formats one line as Daphne's `AccessLogGenerator` does (NCSA-like, local time):
 * `127.0.0.1:54321 - - [27/Nov/2026:04:00:00] "GET /path" 200 12`.
 */
export function formatAccessLogLine(entry: AccessLogEntry): string {
  const date = entry.date ?? new Date()
  const stamp =
    `${pad(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  const status = entry.status ?? '-'
  const length = entry.length ?? '-'
  return `${entry.host ?? '-'} - - [${stamp}] "${entry.request}" ${status} ${length}`
}

/** Returns the access-log writer for a target, or null when the log is off. Mirrors `daphne.access.AccessLogGenerator`. */
export function createAccessLog(target: AccessLogTarget | null): AccessLog | null {
  if (target === null) return null
  if (typeof target === 'function') return (entry) => target(formatAccessLogLine(entry))
  return (entry) => {
    target.write(`${formatAccessLogLine(entry)}\n`)
  }
}

/** `"ip:port"` of a scope's client (after proxy headers), else of the socket's peer. */
export function clientHost(
  client: readonly [string, number] | null | undefined,
  socket?: { remoteAddress?: string; remotePort?: number },
): string | null {
  if (client) return `${client[0]}:${client[1]}`
  if (socket?.remoteAddress === undefined) return null
  return `${socket.remoteAddress}:${socket.remotePort}`
}

function pad(value: number): string {
  return String(value).padStart(2, '0')
}
