/**
 * The channel-layer contract: one behavioural suite that every `ChannelLayer` implementation
 * runs (the in-memory layer here, the Redis layers in `@node-channels/redis`). It ports
 * Channels' tests/test_inmemorychannel.py and test_layers.py and the layer-agnostic parts of
 * channels_redis' tests/test_core.py and test_pubsub.py. Imports vitest, hence its own subpath.
 *
 * @example
 * ```ts
 * import { runChannelLayerContract } from '@node-channels/testing/layer-contract'
 *
 * runChannelLayerContract('InMemoryChannelLayer', (config) => new InMemoryChannelLayer(config))
 * ```
 */
import { describe } from 'vitest'
import {
  type ChannelLayerContractOptions,
  type ChannelLayerFactory,
  ContractContext,
  resolveContractOptions,
} from './layer-contract/context.js'
import { groupTests } from './layer-contract/groups.js'
import { limitTests } from './layer-contract/limits.js'
import { messageTests } from './layer-contract/messages.js'
import { nameTests } from './layer-contract/names.js'
import { receivingTests } from './layer-contract/receiving.js'

export type {
  ChannelLayerContractOptions,
  ChannelLayerFactory,
  ContractFeature,
  ContractLayerConfig,
} from './layer-contract/context.js'
export { expectNoMessage, receiveWithin } from './layer-contract/context.js'

/**
 * Runs the channel-layer contract against layers from `factory`, inside a `describe` named
 * after the layer. Each test opens its own layers and the suite flushes and closes them.
 * Behaviours a layer lacks are declared in `options.unsupported`, each with its reason.
 * Bad options throw a TypeError or RangeError at once, before any test is registered.
 */
export function runChannelLayerContract(
  name: string,
  factory: ChannelLayerFactory,
  options: ChannelLayerContractOptions = {},
): void {
  const resolved = resolveContractOptions(factory, options)
  describe(`${name} satisfies the channel layer contract`, () => {
    const ctx = new ContractContext(factory, resolved)
    messageTests(ctx)
    receivingTests(ctx)
    nameTests(ctx)
    limitTests(ctx)
    groupTests(ctx)
  })
}
