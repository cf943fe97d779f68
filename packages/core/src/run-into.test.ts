import { describe, expect, it } from 'vitest'
import {
  applicationOf,
  type ExitReceiver,
  kRunInto,
  runApplication,
  runIntoOf,
} from './run-into.js'
import type { Application, Receive, Scope, Send } from './types.js'

const scope = { type: 'channel', channel: 'x' } as Scope
const receive: Receive = () => new Promise(() => {})
const send: Send = async () => {}

/** Runs `app` with runApplication; settles with 'returned' or the error it raised. */
function ended(app: Application): Promise<unknown> {
  return new Promise((resolve) => {
    const exit: ExitReceiver = { returned: () => resolve('returned'), raised: resolve }
    runApplication(app, scope, receive, send, exit)
  })
}

describe('runApplication', () => {
  it('tells how a promise-only application ended, a synchronous throw included', async () => {
    const boom = new Error('boom')
    expect(await ended(async () => {})).toBe('returned')
    expect(await ended(async () => Promise.reject(boom))).toBe(boom)
    expect(
      await ended(() => {
        throw boom
      }),
    ).toBe(boom)
  })

  it('runs an application through kRunInto when it has it, never through its promise form', async () => {
    const boom = new Error('boom')
    const calls: string[] = []
    const app = applicationOf((_scope, _receive, _send, exit) => {
      calls.push('run')
      exit.returned()
    })
    const throwing = applicationOf(() => {
      throw boom
    })
    expect(runIntoOf(app)).toBe(Reflect.get(app, kRunInto))
    expect(runIntoOf(async () => {})).toBeUndefined()
    expect(await ended(app)).toBe('returned')
    expect(await ended(throwing)).toBe(boom)
    expect(calls).toEqual(['run'])
  })
})

describe('applicationOf', () => {
  it('gives the promise form: it settles as the exit is told, and rejects on a synchronous throw', async () => {
    const boom = new Error('boom')
    await expect(
      applicationOf((_s, _r, _se, exit) => exit.returned())(scope, receive, send),
    ).resolves.toBeUndefined()
    await expect(
      applicationOf((_s, _r, _se, exit) => exit.raised(boom))(scope, receive, send),
    ).rejects.toBe(boom)
    await expect(
      applicationOf(() => {
        throw boom
      })(scope, receive, send),
    ).rejects.toBe(boom)
  })
})
