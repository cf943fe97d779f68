import { describe, expect, it } from 'vitest'
import { BadRequest, decodePath } from './scope.js'

describe('decodePath', () => {
  it.each([
    ['/foo%2Fbar', '/foo/bar'],
    ['/r%C3%A9sum%C3%A9', '/résumé'],
    ['/plain', '/plain'],
    ['/100%', '/100%'],
    ['/%zz/%4', '/%zz/%4'],
    ['/a%20b', '/a b'],
  ])('decodes %j as %j (malformed escapes stay, as Python unquote)', (raw, decoded) => {
    expect(decodePath(raw)).toBe(decoded)
  })

  it('refuses bytes that are not UTF-8 with a 400', () => {
    expect(() => decodePath('/caf%E9')).toThrow(new BadRequest('Invalid UTF-8 in path'))
    const thrown = (() => {
      try {
        decodePath('/%ff', 'root path header')
        return null
      } catch (error) {
        return error
      }
    })()
    expect(thrown).toBeInstanceOf(BadRequest)
    expect(thrown).toMatchObject({ status: 400, message: 'Invalid UTF-8 in root path header' })
  })
})
