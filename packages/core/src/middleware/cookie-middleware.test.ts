import { describe, expect, it } from 'vitest'
import type { Application, Scope } from '../types.js'
import { kPathRouting } from '../types.js'
import { CookieMiddleware } from './cookie-middleware.js'
import { httpScope } from './harness.test-util.js'

async function cookiesFor(scope: Scope): Promise<unknown> {
  let seen: unknown
  await CookieMiddleware(async (inner) => {
    seen = inner.cookies
  })(
    scope,
    async () => ({ type: 'x' }),
    async () => {},
  )
  return seen
}

describe('CookieMiddleware', () => {
  it('parses the cookie header into scope.cookies', async () => {
    const cookies = await cookiesFor(httpScope({ headers: [['cookie', 'a=1; sessionid=xyz']] }))
    expect({ ...(cookies as object) }).toEqual({ a: '1', sessionid: 'xyz' })
  })

  it('reads only the first cookie header, and only the lower-case name', async () => {
    const scope = httpScope({
      headers: [
        ['Cookie', 'upper=1'],
        ['cookie', 'first=1'],
        ['cookie', 'second=2'],
      ],
    })
    expect({ ...((await cookiesFor(scope)) as object) }).toEqual({ first: '1' })
  })

  it('gives an empty null-prototype object without a cookie header', async () => {
    const cookies = await cookiesFor(httpScope())
    expect(cookies).toEqual({})
    expect(Object.getPrototypeOf(cookies)).toBe(null)
  })

  it("throws Django's error for a scope without headers", async () => {
    await expect(cookiesFor({ type: 'lifespan' })).rejects.toThrow(
      new TypeError(
        'CookieMiddleware was passed a scope that did not have a headers key (make sure it is only passed HTTP or WebSocket connections)',
      ),
    )
  })

  it('ignores malformed header entries instead of crashing', async () => {
    const headers = [null, ['cookie'], ['cookie', 42], ['cookie', 'ok=1']] as unknown as Array<
      [string, string]
    >
    expect({ ...((await cookiesFor(httpScope({ headers }))) as object) }).toEqual({ ok: '1' })
  })

  it('is a plain function returning an Application that keeps the path-routing marker', () => {
    const router: Application = Object.assign(async () => {}, { [kPathRouting]: true })
    expect(kPathRouting in CookieMiddleware(router)).toBe(true)
    expect(() => CookieMiddleware(undefined as unknown as Application)).toThrow(
      new TypeError('CookieMiddleware needs an application (a function) to wrap; got undefined.'),
    )
  })
})
