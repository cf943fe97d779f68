import type { Headers } from '@node-channels/core'

/** Names of the proxy headers to read; `null` or `''` turns one off. */
export interface ForwardedHeaderNames {
  /** @default 'X-Forwarded-For' */
  address?: string | null
  /** @default 'X-Forwarded-Port' */
  port?: string | null
  /** @default 'X-Forwarded-Proto' */
  proto?: string | null
}

/** A client address as it appears in a scope. */
export type Address = [host: string, port: number]

/**
 * Reads the client address and scheme a reverse proxy reported. Only when the address header
 * is present are the port and proto headers looked at; otherwise the originals come back.
 * The first comma-separated address wins; a port that is not an integer is ignored.
 * Mirrors `daphne.utils.parse_x_forwarded_for`, case for case.
 */
export function parseXForwardedFor(
  headers: Headers,
  names: ForwardedHeaderNames = {},
  originalAddress: Address | null = null,
  originalScheme: string | null = null,
): [address: Address | null, scheme: string | null] {
  const addressName = pick(names.address, 'X-Forwarded-For')
  if (!addressName) return [originalAddress, originalScheme]
  const addressValue = firstValue(headers, addressName)
  if (addressValue === undefined) return [originalAddress, originalScheme]

  const address: Address = [
    addressValue.includes(',') ? (addressValue.split(',')[0] ?? '').trim() : addressValue,
    0,
  ]
  let scheme = originalScheme
  const portName = pick(names.port, 'X-Forwarded-Port')
  if (portName) {
    const portValue = firstValue(headers, portName)
    const port = portValue === undefined ? null : pythonInt(portValue)
    if (port !== null) address[1] = port
  }
  const protoName = pick(names.proto, 'X-Forwarded-Proto')
  if (protoName) {
    const proto = firstValue(headers, protoName)
    if (proto !== undefined) scheme = proto
  }
  return [address, scheme]
}

function pick(name: string | null | undefined, fallback: string): string | null {
  return name === undefined ? fallback : name || null
}

/** The first value of a header (case-insensitive name), decoded from its latin-1 bytes as UTF-8. */
function firstValue(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase()
  for (const [key, value] of headers) {
    if (key.toLowerCase() === wanted) return Buffer.from(value, 'latin1').toString('utf8')
  }
  return undefined
}

/** Python's `int(str)` for decimal strings: surrounding whitespace, a sign, `_` between digits. */
function pythonInt(value: string): number | null {
  const match = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(value)
  if (!match) return null
  const digits = Number((match[2] ?? '').replaceAll('_', ''))
  return match[1] === '-' ? -digits : digits
}
