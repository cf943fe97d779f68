import { InMemoryChannelLayer } from '@node-channels/core'
import {
  type ChannelLayerContractOptions,
  runChannelLayerContract,
} from '@node-channels/testing/layer-contract'
import { describe, expect, it } from 'vitest'

// The in-memory layer has every behaviour the contract checks, so nothing is declared unsupported.
runChannelLayerContract('InMemoryChannelLayer', (config) => new InMemoryChannelLayer(config))

describe('runChannelLayerContract() options', () => {
  const factory = () => new InMemoryChannelLayer()

  // Each call below throws before it registers anything, so it is safe inside a test.
  it.each<[string, unknown, string]>([
    [
      'a misspelt feature',
      { unsupported: { capacty: 'No queue.' } },
      'Unknown contract feature "capacty"; expected one of capacity, expiry, groupExpiry, namedChannelQueue, processLocalNames, flushKeepsReceivers.',
    ],
    [
      'a feature without a reason',
      { unsupported: { capacity: '' } },
      'An unsupported contract feature needs its reason as a sentence, not "" for capacity.',
    ],
    [
      'a feature marked with false instead of a reason',
      { unsupported: { expiry: false } },
      'An unsupported contract feature needs its reason as a sentence, not false for expiry.',
    ],
    [
      'a list of features',
      { unsupported: ['capacity'] },
      'The contract option unsupported must map features to reasons, not ["capacity"].',
    ],
    ['null options', null, 'The contract options must be an object, not null.'],
  ])('refuses %s with a TypeError', (_label, options, message) => {
    expect(() =>
      runChannelLayerContract('bad', factory, options as ChannelLayerContractOptions),
    ).toThrow(new TypeError(message))
  })

  it.each<[string, ChannelLayerContractOptions, string]>([
    [
      'a zero capacity',
      { capacity: 0 },
      'The contract option capacity must be a positive number, not 0.',
    ],
    [
      'a negative expiry',
      { expiryMs: -5 },
      'The contract option expiryMs must be a positive number, not -5.',
    ],
    [
      'an infinite wait',
      { noMessageTimeoutMs: Number.POSITIVE_INFINITY },
      'The contract option noMessageTimeoutMs must be a positive number, not Infinity.',
    ],
  ])('refuses %s with a RangeError', (_label, options, message) => {
    expect(() => runChannelLayerContract('bad', factory, options)).toThrow(new RangeError(message))
  })

  it('refuses a factory that is not a function', () => {
    expect(() =>
      runChannelLayerContract('bad', 'redis://127.0.0.1' as unknown as typeof factory),
    ).toThrow(new TypeError('The layer factory must be a function, not "redis://127.0.0.1".'))
  })
})
