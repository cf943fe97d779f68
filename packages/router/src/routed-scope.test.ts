import type { Scope } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { routedScope } from './routed-scope.js'

describe('routedScope', () => {
  const urlRoute = { args: [], kwargs: { room: 'lobby' } }

  it('copies the scope with path_remaining and url_route, as a spread would', () => {
    const marker = Symbol('marker')
    const scope = { type: 'websocket', path: '/ws/', [marker]: 1 } as unknown as Scope
    const routed = routedScope(scope, '', urlRoute)
    expect(routed).not.toBe(scope)
    expect(routed).toEqual({ ...scope, path_remaining: '', url_route: urlRoute })
    expect(Object.keys(routed)).toEqual(['type', 'path', 'path_remaining', 'url_route'])
    expect(Reflect.get(routed, marker)).toBe(1)
    expect(scope.url_route).toBeUndefined()
  })

  it('keeps the position of a path_remaining and url_route the scope already has', () => {
    const scope = {
      type: 'http',
      path_remaining: 'a/',
      url_route: { args: [], kwargs: {} },
    } as unknown as Scope
    const routed = routedScope(scope, 'b/', urlRoute)
    expect(Object.keys(routed)).toEqual(['type', 'path_remaining', 'url_route'])
    expect(routed.path_remaining).toBe('b/')
    expect(routed.url_route).toBe(urlRoute)
  })

  it('keeps an own __proto__ key as data, never as the prototype', () => {
    const scope = JSON.parse('{"type":"websocket","__proto__":{"polluted":true}}') as Scope
    const routed = routedScope(scope, '', urlRoute)
    expect(Object.getPrototypeOf(routed)).toBe(Object.prototype)
    expect(Object.hasOwn(routed, '__proto__')).toBe(true)
    expect((routed as { polluted?: boolean }).polluted).toBeUndefined()
  })
})
