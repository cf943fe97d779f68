import { pathToRegexp } from 'path-to-regexp'
import { describe, quote } from './quote.js'

/** What a pattern took from a path: the rest of it and the captured values. */
export interface PatternMatch {
  /** The part of the path after the match (`''` after a whole-path match). */
  remaining: string
  args: string[]
  kwargs: Record<string, string>
}

/**
 * A compiled `path()` or `rePath()` pattern. Mirrors Django's `RoutePattern` / `RegexPattern`,
 * where the endpoint flag is decided later, by `URLRouter`, from the route's application.
 */
export interface RoutePattern {
  /** The pattern as written, for messages. */
  readonly description: string
  /** Matches `path`: the whole of it for an endpoint, a prefix of it for a nested router. */
  match(path: string, endpoint: boolean): PatternMatch | null
}

/**
 * Compiles a path-to-regexp 8 route (`ws/chat/:room_name/`). Leading slashes are dropped,
 * because `URLRouter` strips them from the path too. Matching is case-sensitive, a trailing
 * slash is never optional and values are not decoded again (the scope's `path` already is),
 * all as in Django. Values are strings; a wildcard (`*rest`) gives the raw `a/b/c` string.
 */
export function compilePathRoute(route: string): RoutePattern {
  if (typeof route !== 'string') {
    throw new TypeError(`path() expects a route string, got ${describe(route)}.`)
  }
  let compiled: ReturnType<typeof pathToRegexp>
  try {
    compiled = pathToRegexp(route.replace(/^\/+/, ''), {
      end: true,
      trailing: false,
      sensitive: true,
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new TypeError(`path() got an invalid route ${quote(route)}: ${reason}`, {
      cause: error,
    })
  }
  const { regexp: whole, keys } = compiled
  // With `end: true` and `trailing: false` the source is `^(?:...)$`; without its final `$`
  // it matches a prefix, exactly like Django's non-endpoint RoutePattern (`^prefix/`).
  // path-to-regexp's own `end: false` adds a segment-boundary lookahead that would refuse
  // Django's usual `path('prefix/', URLRouter(...))` against `prefix/stuff/`.
  if (!whole.source.endsWith('$')) {
    throw new Error(`path-to-regexp produced an unexpected pattern ${quote(whole.source)}.`)
  }
  const prefix = new RegExp(whole.source.slice(0, -1), whole.flags)
  return {
    description: quote(route),
    match(path, endpoint) {
      const found = (endpoint ? whole : prefix).exec(path)
      if (!found) return null
      const kwargs: Array<[string, string]> = []
      keys.forEach((key, index) => {
        const value = found[index + 1]
        // Optional groups (`{/:id}`) that did not take part leave their key out.
        if (value !== undefined) kwargs.push([key.name, value])
      })
      // Object.fromEntries defines own properties, so a parameter named `__proto__` stays data.
      return {
        remaining: path.slice(found[0].length),
        args: [],
        kwargs: Object.fromEntries(kwargs),
      }
    },
  }
}

/**
 * Compiles a `rePath()` pattern: a RegExp, or a string that is its source. Django's
 * `RegexPattern` semantics: an endpoint pattern ending in `$` must match the whole path,
 * anything else is searched for anywhere in it (`rePath(/bar/)` matches `foobar/zzz`).
 * Named groups become kwargs (unmatched ones are left out) and unnamed groups are dropped;
 * with no named groups, the groups become positional args (`''` for an unmatched one).
 * The `g` and `y` flags are ignored: a route has no state between matches.
 */
export function compileRegexRoute(pattern: RegExp | string): RoutePattern {
  const regex = toRegExp(pattern)
  if (/^\^\\\/(?![?*{])/.test(regex.source) && !regex.source.includes('|')) {
    throw new TypeError(
      `rePath() got the pattern ${String(regex)}, which can never match: URLRouter strips ` +
        'leading slashes from the path before matching, so leave the slash out after "^".',
    )
  }
  // Python's fullmatch(): the sticky flag anchors the start, and the lookahead the end even
  // under the `m` flag (where `$` would also match before a newline).
  const whole = new RegExp(`(?:${regex.source})(?![\\s\\S])`, `${regex.flags}y`)
  const fullmatch = regex.source.endsWith('$')
  return {
    description: String(regex),
    match(path, endpoint) {
      let found: RegExpExecArray | null
      if (endpoint && fullmatch) {
        whole.lastIndex = 0
        found = whole.exec(path)
      } else {
        found = regex.exec(path)
      }
      if (!found) return null
      const remaining = path.slice(found.index + found[0].length)
      if (found.groups) {
        const kwargs = Object.entries(found.groups).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        )
        return { remaining, args: [], kwargs: Object.fromEntries(kwargs) }
      }
      return { remaining, args: found.slice(1).map((value) => value ?? ''), kwargs: {} }
    },
  }
}

// --- helpers ---

function toRegExp(pattern: RegExp | string): RegExp {
  if (pattern instanceof RegExp)
    return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
  if (typeof pattern !== 'string') {
    throw new TypeError(`rePath() expects a RegExp or a string, got ${describe(pattern)}.`)
  }
  try {
    return new RegExp(pattern)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const hint = pattern.includes('(?P<')
      ? ' (JavaScript writes named groups as (?<name>...), not (?P<name>...))'
      : ''
    throw new TypeError(`rePath() got an invalid pattern ${quote(pattern)}${hint}: ${reason}`, {
      cause: error,
    })
  }
}
