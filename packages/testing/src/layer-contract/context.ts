import { randomBytes } from 'node:crypto'
import type { ChannelLayer, Message } from '@node-channels/core'
import { afterEach, it } from 'vitest'

/** What the contract asks the factory for; a layer that cannot honour a setting declares it unsupported. */
export interface ContractLayerConfig {
  /** Messages a channel holds before `send()` throws `ChannelFull`. */
  readonly capacity: number
  /** How long an unread message lives, in milliseconds. */
  readonly expiryMs: number
  /** How long a group membership lives after its last `groupAdd()`, in milliseconds. */
  readonly groupExpiryMs: number
}

/** Builds a fresh, empty layer with the given settings (it may ignore settings it declares unsupported). */
export type ChannelLayerFactory = (
  config: ContractLayerConfig,
) => ChannelLayer | Promise<ChannelLayer>

/** Behaviours a layer may lack; each one it lacks is named in `unsupported` with the reason. */
export type ContractFeature =
  | 'capacity'
  | 'expiry'
  | 'groupExpiry'
  | 'namedChannelQueue'
  | 'processLocalNames'
  | 'flushKeepsReceivers'

/** Options of `runChannelLayerContract()`. */
export interface ChannelLayerContractOptions {
  /** The capacity the capacity tests ask for (a layer with a fixed capacity gives its own). @default 3 */
  capacity?: number
  /** The message expiry the expiry tests ask for; they wait just past it. @default 100 */
  expiryMs?: number
  /** The group expiry the group-expiry tests ask for; they wait just past it. @default 100 */
  groupExpiryMs?: number
  /** Extra time the expiry tests wait, for layers whose clocks tick in whole seconds. @default 30 */
  expiryGraceMs?: number
  /** How long "nothing arrives" is watched for. @default 50 */
  noMessageTimeoutMs?: number
  /**
   * Behaviours the layer does not have, each with the reason; their tests are skipped and the
   * reason is in the skipped test's title. For example a pub/sub layer:
   * `{ capacity: 'Pub/sub keeps no queue, so a channel is never full.' }`.
   */
  unsupported?: Partial<Record<ContractFeature, string>>
}

/** The settings used for tests that do not test capacity or expiry: Channels' defaults. */
const DEFAULT_CONFIG: ContractLayerConfig = {
  capacity: 100,
  expiryMs: 60_000,
  groupExpiryMs: 86_400_000,
}

const FEATURES: readonly ContractFeature[] = [
  'capacity',
  'expiry',
  'groupExpiry',
  'namedChannelQueue',
  'processLocalNames',
  'flushKeepsReceivers',
]

/** The options with their defaults filled in, checked before any test is registered. */
export interface ResolvedContractOptions {
  readonly capacity: number
  readonly expiryMs: number
  readonly groupExpiryMs: number
  readonly expiryGraceMs: number
  readonly noMessageTimeoutMs: number
  readonly unsupported: Partial<Record<ContractFeature, string>>
}

/** Checks the factory and options, so a misconfigured contract fails where it is called. */
export function resolveContractOptions(
  factory: unknown,
  options: ChannelLayerContractOptions,
): ResolvedContractOptions {
  if (typeof factory !== 'function') {
    throw new TypeError(`The layer factory must be a function, not ${JSON.stringify(factory)}.`)
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`The contract options must be an object, not ${JSON.stringify(options)}.`)
  }
  return {
    capacity: positive('capacity', options.capacity ?? 3),
    expiryMs: positive('expiryMs', options.expiryMs ?? 100),
    groupExpiryMs: positive('groupExpiryMs', options.groupExpiryMs ?? 100),
    expiryGraceMs: positive('expiryGraceMs', options.expiryGraceMs ?? 30),
    noMessageTimeoutMs: positive('noMessageTimeoutMs', options.noMessageTimeoutMs ?? 50),
    unsupported: checkUnsupported(options.unsupported ?? {}),
  }
}

/** What every topic of the contract gets: layers that are cleaned up, the options, and helpers. */
export class ContractContext {
  readonly capacity: number
  readonly expiryMs: number
  readonly groupExpiryMs: number
  readonly expiryGraceMs: number
  readonly noMessageTimeoutMs: number
  readonly #factory: ChannelLayerFactory
  readonly #unsupported: Partial<Record<ContractFeature, string>>
  #open: ChannelLayer[] = []

  /** Call inside a describe(): it registers the afterEach that closes the test's layers. */
  constructor(factory: ChannelLayerFactory, options: ResolvedContractOptions) {
    this.#factory = factory
    this.capacity = options.capacity
    this.expiryMs = options.expiryMs
    this.groupExpiryMs = options.groupExpiryMs
    this.expiryGraceMs = options.expiryGraceMs
    this.noMessageTimeoutMs = options.noMessageTimeoutMs
    this.#unsupported = options.unsupported
    afterEach(async () => {
      const layers = this.#open.reverse()
      this.#open = []
      for (const layer of layers) {
        await layer.flush()
        await layer.close()
      }
    })
  }

  /** Opens a fresh layer for the running test; it is flushed and closed after the test. */
  async open(config: Partial<ContractLayerConfig> = {}): Promise<ChannelLayer> {
    const layer = await this.#factory({ ...DEFAULT_CONFIG, ...config })
    this.#open.push(layer)
    return layer
  }

  /** Registers a test that needs `features`; when the layer lacks one, it is skipped with the reason. */
  it(
    features: ContractFeature | readonly ContractFeature[] | undefined,
    title: string,
    test: () => Promise<void>,
  ): void {
    const needed =
      features === undefined ? [] : typeof features === 'string' ? [features] : features
    const reasons = needed.flatMap((feature) => this.#unsupported[feature] ?? [])
    if (reasons.length > 0) it.skip(`${title} (unsupported: ${reasons.join(' ')})`, test)
    else it(title, test)
  }

  /** Waits just long enough for something stamped now to have expired after `durationMs`. */
  async waitPast(durationMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, durationMs + this.expiryGraceMs))
  }
}

/** A channel of one kind: the contract runs the core tests on both kinds. */
export interface ChannelKind {
  readonly name: string
  readonly requires: ContractFeature | undefined
  create(layer: ChannelLayer, base?: string): Promise<string>
}

/** Named channels (queues any process may read) and process-local ones from `newChannel()`. */
export const CHANNEL_KINDS: readonly ChannelKind[] = [
  {
    name: 'a named channel',
    requires: 'namedChannelQueue',
    create: async (_layer, base = 'test-channel') => uniqueName(base),
  },
  {
    name: 'a process-local channel',
    requires: undefined,
    create: (layer) => layer.newChannel(),
  },
]

/** A name that no other test uses, so layers sharing a server cannot see each other's traffic. */
export function uniqueName(base: string): string {
  return `${base}.${randomBytes(4).toString('hex')}`
}

/** Receives the next message, failing clearly instead of hanging when none comes in `timeoutMs`. */
export async function receiveWithin(
  layer: ChannelLayer,
  channel: string,
  timeoutMs = 1000,
): Promise<Message> {
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    return await layer.receive(channel, { signal })
  } catch (error) {
    if (signal.aborted && error === signal.reason) {
      throw new Error(`No message arrived on ${JSON.stringify(channel)} within ${timeoutMs} ms.`)
    }
    throw error
  }
}

/** Asserts that nothing arrives on `channel` within `timeoutMs` (a receive aborted by AbortSignal.timeout). */
export async function expectNoMessage(
  layer: ChannelLayer,
  channel: string,
  timeoutMs = 50,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs)
  let message: Message
  try {
    message = await layer.receive(channel, { signal })
  } catch (error) {
    if (signal.aborted && error === signal.reason) return
    throw error
  }
  const shown = JSON.stringify(message)
  throw new Error(
    `Expected no message on ${JSON.stringify(channel)} within ${timeoutMs} ms, got ${shown.length > 200 ? `${shown.slice(0, 197)}...` : shown}.`,
  )
}

// --- helpers ---

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `The contract option ${name} must be a positive number, not ${typeof value === 'number' ? String(value) : JSON.stringify(value)}.`,
    )
  }
  return value
}

function checkUnsupported(unsupported: unknown): Partial<Record<ContractFeature, string>> {
  if (typeof unsupported !== 'object' || unsupported === null || Array.isArray(unsupported)) {
    throw new TypeError(
      `The contract option unsupported must map features to reasons, not ${JSON.stringify(unsupported)}.`,
    )
  }
  for (const [feature, reason] of Object.entries(unsupported)) {
    if (!(FEATURES as readonly string[]).includes(feature)) {
      throw new TypeError(
        `Unknown contract feature ${JSON.stringify(feature)}; expected one of ${FEATURES.join(', ')}.`,
      )
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError(
        `An unsupported contract feature needs its reason as a sentence, not ${JSON.stringify(reason)} for ${feature}.`,
      )
    }
  }
  return unsupported as Partial<Record<ContractFeature, string>>
}
