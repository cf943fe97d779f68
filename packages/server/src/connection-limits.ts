import type { ResolvedSecurityOptions } from './security-options.js'
import type { ServerContext } from './server-context.js'

/** What `ConnectionLimits.acquire()` decided: a release function, or the HTTP status refusing it. */
export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; status: 429 | 503 }

/**
 * Counts the WebSockets (held handshakes and open sockets) per client address and in total,
 * and refuses one over either cap: 503 over the total, 429 over the client's share.
 */
export class ConnectionLimits {
  readonly #perClient: number | null
  readonly #total: number | null
  readonly #counts = new Map<string, number>()
  #size = 0

  constructor(perClient: number | null, total: number | null) {
    this.#perClient = perClient
    this.#total = total
  }

  /** Connections counted now. */
  get size(): number {
    return this.#size
  }

  /** Connections counted now for one client address. */
  countOf(client: string): number {
    return this.#counts.get(client) ?? 0
  }

  /**
   * Counts a new connection from `client` unless a cap refuses it: null when it is counted
   * (undo that with `release(client)`, exactly once), else the status refusing it.
   */
  take(client: string): 429 | 503 | null {
    if (this.#total !== null && this.#size >= this.#total) return 503
    const current = this.#counts.get(client) ?? 0
    if (this.#perClient !== null && current >= this.#perClient) return 429
    this.#counts.set(client, current + 1)
    this.#size++
    return null
  }

  /** Uncounts a connection from `client` that `take()` counted. */
  release(client: string): void {
    this.#size--
    const left = (this.#counts.get(client) ?? 1) - 1
    if (left > 0) this.#counts.set(client, left)
    else this.#counts.delete(client)
  }

  /** Counts a new connection from `client`, unless a cap refuses it. Release it exactly once. */
  acquire(client: string): Admission {
    const status = this.take(client)
    if (status !== null) return { admitted: false, status }
    let released = false
    return {
      admitted: true,
      release: () => {
        if (released) return
        released = true
        this.release(client)
      },
    }
  }
}

const shared = new WeakMap<ServerContext, ConnectionLimits>()

/**
 * The server's one `ConnectionLimits`, made on first use from its `maxConnectionsPerClient`
 * and `maxConnections`, so that every transport opening WebSocket sessions (the upgrade
 * handler, long polling) counts against the same caps.
 */
export function connectionLimitsOf(context: ServerContext): ConnectionLimits {
  let limits = shared.get(context)
  if (limits === undefined) {
    const { maxConnectionsPerClient, maxConnections } = context.options
    limits = new ConnectionLimits(maxConnectionsPerClient, maxConnections)
    shared.set(context, limits)
  }
  return limits
}

/** Why a cap refused `client`, naming the option, for the warning logged with the refusal. */
export function describeRefusal(
  status: 429 | 503,
  client: string,
  options: Pick<ResolvedSecurityOptions, 'maxConnectionsPerClient' | 'maxConnections'>,
): string {
  return status === 503
    ? `${options.maxConnections} WebSockets are open (maxConnections)`
    : `${JSON.stringify(client)} has ${options.maxConnectionsPerClient} WebSockets open (maxConnectionsPerClient)`
}
