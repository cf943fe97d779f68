import type { Application } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { path, rePath, URLRouter } from './url-router.js'

describe('URLRouter refuses invalid routes (test_invalid_routes)', () => {
  const app: Application = async () => {}

  it('refuses an array of routes in place of an application (there is no include())', () => {
    const routes = [path('x/', app)] as unknown as Application
    expect(() => path('', routes)).toThrow(
      new TypeError(
        "path() got an array for the route '': include() is not supported in URLRouter. " +
          'Use nested URLRouter instances instead.',
      ),
    )
  })

  it('refuses anything but an array of path() and rePath() routes', () => {
    expect(() => URLRouter('foo/' as unknown as [])).toThrow(
      new TypeError("URLRouter() expects an array of routes, got 'foo/'."),
    )
    const fake = { pattern: 'foo/', app }
    expect(() => URLRouter([path('', app), fake] as unknown as [])).toThrow(
      new TypeError(
        'URLRouter() expects routes made by path() or rePath(), got {"pattern":"foo/"} at index 1.',
      ),
    )
  })

  it('refuses a route that is not a string, or an application that is not a function', () => {
    expect(() => path(42 as unknown as string, app)).toThrow(
      new TypeError('path() expects a route string, got 42.'),
    )
    expect(() => path('x/', 'app' as unknown as Application)).toThrow(
      new TypeError("path() expects an application function for the route 'x/', got 'app'."),
    )
    expect(() => rePath(/^x\//, {} as unknown as Application)).toThrow(
      new TypeError('rePath() expects an application function for the route /^x\\//, got {}.'),
    )
    expect(() => rePath(42 as unknown as string, app)).toThrow(
      new TypeError('rePath() expects a RegExp or a string, got 42.'),
    )
  })

  it('refuses an invalid path-to-regexp route, quoting it', () => {
    expect(() => path('room/:/', app)).toThrow(
      new TypeError(
        "path() got an invalid route 'room/:/': Missing parameter name at index 6: room/:/; " +
          'visit https://git.new/pathToRegexpError for info',
      ),
    )
  })

  it('refuses an invalid regular expression, with a hint for Python named groups', () => {
    expect(() => rePath('^(?P<id>\\d+)/$', app)).toThrow(
      "rePath() got an invalid pattern '^(?P<id>\\\\d+)/$' (JavaScript writes named groups as " +
        '(?<name>...), not (?P<name>...)): Invalid regular expression: ',
    )
    expect(() => rePath('(', app)).toThrow(TypeError)
  })

  it('refuses a rePath() pattern that starts with a slash, since it could never match', () => {
    expect(() => rePath(/^\/ws\//, app)).toThrow(
      new TypeError(
        'rePath() got the pattern /^\\/ws\\//, which can never match: URLRouter strips leading ' +
          'slashes from the path before matching, so leave the slash out after "^".',
      ),
    )
    expect(() => rePath(/^\/?ws\//, app)).not.toThrow()
  })

  it('refuses kwargs that are not strings and a name that is not a string', () => {
    expect(() => path('x/', app, { kwargs: { page: 3 as unknown as string } })).toThrow(
      new TypeError(
        "path() expects string kwargs (url_route.kwargs holds strings), got 3 for 'page'.",
      ),
    )
    expect(() => path('x/', app, { kwargs: [] as unknown as Record<string, string> })).toThrow(
      new TypeError('path() expects kwargs to be an object, got [].'),
    )
    expect(() => rePath('x', app, { name: 7 as unknown as string })).toThrow(
      new TypeError('rePath() expects name to be a string, got 7.'),
    )
    expect(() => path('x/', app, null as unknown as undefined)).toThrow(
      new TypeError('path() expects an options object, got null.'),
    )
  })

  it('keeps the name and default kwargs of a valid route', () => {
    const route = path('x/', app, { name: 'x', kwargs: { a: 'b' } })
    expect(route.name).toBe('x')
    expect(route.kwargs).toEqual({ a: 'b' })
    expect(route.app).toBe(app)
    expect(route.pattern.description).toBe("'x/'")
  })
})
