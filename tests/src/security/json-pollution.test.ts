// Prototype pollution through JSON frames: `__proto__` and `constructor.prototype` keys sent
// to a JsonWebsocketConsumer whose code merges the content the naive way (the classic sink).
// decodeJson drops those keys, so nothing reaches Object.prototype.
import { runInNewContext } from 'node:vm'
import { JsonWebsocketConsumer } from '@node-channels/core'
import { path } from '@node-channels/router'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { echoAnd, startServer } from './harness.js'
import { underAttack } from './under-attack.js'

/** The recursive merge many applications write (and lodash's old `merge` did). */
const NAIVE_MERGE = `(function merge(target, source) {
  for (const key in source) {
    const value = source[key]
    const existing = target[key]
    if (typeof value === 'object' && value !== null) {
      if ((typeof existing === 'object' && existing !== null) || typeof existing === 'function') {
        merge(existing, value)
      } else {
        target[key] = {}
        merge(target[key], value)
      }
    } else {
      target[key] = value
    }
  }
  return target
})`
const naiveMerge = runInNewContext(NAIVE_MERGE) as (target: object, source: unknown) => object

/** Merges every message into its state, then reports whether Object.prototype changed. */
class MergingConsumer extends JsonWebsocketConsumer {
  readonly state: Record<string, unknown> = {}

  override receiveJson(content: unknown): Promise<void> {
    naiveMerge(this.state, content)
    const probe: Record<string, unknown> = {}
    return this.sendJson({ polluted: probe.polluted ?? null, keys: Object.keys(content ?? {}) })
  }
}

const ATTACKS: Array<[string, string]> = [
  ['a __proto__ key', '{"__proto__": {"polluted": "yes"}}'],
  ['constructor.prototype', '{"constructor": {"prototype": {"polluted": "yes"}}}'],
  ['a nested __proto__ key', '{"user": {"__proto__": {"polluted": "yes"}}}'],
  [
    'a __proto__ key spelled with escapes',
    '{"\\u005f\\u005fproto\\u005f\\u005f": {"polluted": "yes"}}',
  ],
  ['a __proto__ key inside an array', '[{"__proto__": {"polluted": "yes"}}]'],
  [
    'both at once, twice',
    '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "x": {"__proto__": {"polluted": 3}}}',
  ],
]

const { server } = underAttack(() =>
  startServer(echoAnd(path('ws/json/', MergingConsumer.asAsgi()))),
)

afterEach(async () => {
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

/** Sends one text frame to /ws/json/ and returns the consumer's answer. */
async function sendToMerger(text: string): Promise<{ polluted: unknown; keys: string[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/json/`)
  onTestFinished(() => ws.terminate())
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  ws.send(text)
  const answer = await new Promise<string>((resolve, reject) => {
    ws.once('message', (data: Buffer) => resolve(data.toString('utf8')))
    ws.once('close', (code: number) =>
      reject(new Error(`Closed with ${code} instead of answering.`)),
    )
  })
  ws.close()
  return JSON.parse(answer) as { polluted: unknown; keys: string[] }
}

describe('prototype pollution through JSON frames', () => {
  it('the merge is a real sink: with plain JSON.parse it pollutes (shown in a separate realm)', () => {
    const polluted = runInNewContext(
      `const merge = ${NAIVE_MERGE}; merge({}, JSON.parse(text)); ({}).polluted`,
      { text: '{"__proto__": {"polluted": "yes"}}' },
    )
    expect(polluted).toBe('yes')
  })

  it.each(ATTACKS)('drops %s before the consumer sees it', async (_what, frame) => {
    const answer = await sendToMerger(frame)
    expect(answer.polluted).toBeNull()
    expect(answer.keys).not.toContain('__proto__')
  })

  it('keeps ordinary keys next to the dropped ones', async () => {
    const answer = await sendToMerger(
      '{"name": "alice", "__proto__": {"admin": true}, "constructor": "a plain string"}',
    )
    expect(answer).toEqual({ polluted: null, keys: ['name', 'constructor'] })
  })
})
