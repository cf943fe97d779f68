import { describe, expect, it } from 'vitest'
import { RouteNotFound } from './route-not-found.js'

describe('RouteNotFound', () => {
  it('carries the path and Channels message, and is recognisable by name', () => {
    const cause = new Error('inner')
    const error = new RouteNotFound('x/12/extra', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('RouteNotFound')
    expect(error.message).toBe("No route found for path 'x/12/extra'.")
    expect(error.path).toBe('x/12/extra')
    expect(error.cause).toBe(cause)
    expect(String(error)).toBe("RouteNotFound: No route found for path 'x/12/extra'.")
  })

  it('escapes what the client put in the path', () => {
    const error = new RouteNotFound("a'\r\nInjected: yes")
    expect(error.message).toBe("No route found for path 'a\\'\\r\\nInjected: yes'.")
  })
})
