import { describe, expect, it } from 'vitest'
import { call, MockApplication, notFound } from './router.test-util.js'
import { path, rePath, URLRouter } from './url-router.js'

describe('URLRouter and path traversal', () => {
  // The server decodes `%2F` into `path` (keeping it in `raw_path`) and never resolves `..`.
  const admin = new MockApplication('admin')
  const file = new MockApplication('file')
  const router = URLRouter([
    path('public/', URLRouter([path(':file', file.app)])),
    path('admin/', admin.app),
  ])

  it.each([
    ['/public/../admin/', '/public/../admin/'],
    ['/public/../admin/', '/public/..%2Fadmin/'],
    ['/public/../admin/', '/public/%2E%2E/admin/'],
    ['/admin/../public/x', '/admin/../public/x'],
    ['/public/a/../../admin/', '/public/a/..%2F..%2Fadmin/'],
  ])('does not resolve dot segments: %s (sent as %s) reaches no route', async (decoded, raw) => {
    const error = await notFound(router, { type: 'http', path: decoded, raw_path: raw })
    expect(error.path).toBe(decoded.slice(1))
    expect(admin.calls).toBe(0)
    expect(file.calls).toBe(0)
  })

  it('treats a decoded %2F as a separator, so a parameter never spans two segments', async () => {
    const scope = { type: 'http', path: '/public/a/b', raw_path: '/public/a%2Fb' }
    expect((await notFound(router, scope)).message).toBe("No route found for path 'public/a/b'.")
    expect(await call(router, { type: 'http', path: '/public/a.txt' })).toBe('file')
    expect(file.urlRoute).toEqual({ args: [], kwargs: { file: 'a.txt' } })
  })

  it('lets an unanchored rePath() match anywhere, so anchor sensitive routes with ^', async () => {
    const unanchored = URLRouter([rePath(/admin\//, admin.app)])
    expect(await call(unanchored, { type: 'http', path: '/public/../admin/' })).toBe('admin')
    const anchored = URLRouter([rePath(/^admin\//, admin.app)])
    await notFound(anchored, { type: 'http', path: '/public/../admin/' })
  })
})
