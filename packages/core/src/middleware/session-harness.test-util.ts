// Test-only helpers shared by the SessionMiddleware test files.
import type { Application, Message, Scope } from '../types.js'
import type { Session } from './session.js'
import { type SessionMiddlewareOptions, SessionMiddlewareStack } from './session-middleware.js'
import { InMemorySessionStore } from './session-store.js'

export const SECRET: string = 'test-secret-test-secret-test-secret-0'
export const OLD_SECRET: string = 'old-secret-old-secret-old-secret-old-1'
export const NOW: number = Date.UTC(2026, 0, 1)

/** Like Channels' SimpleHttpApp: saves the session, then answers 200 with its key as the body. */
export function simpleHttpApp(
  before?: (session: Session, scope: Scope) => Promise<void> | void,
): Application {
  return async (scope, receive, send) => {
    await receive()
    const session = scope.session as Session
    if (before) await before(session, scope)
    else await session.save()
    await send({ type: 'http.response.start', status: 200, headers: [] })
    await send({
      type: 'http.response.body',
      body: new TextEncoder().encode(session.sessionKey ?? ''),
    })
  }
}

/** A SessionMiddlewareStack on a fixed clock, with its in-memory store. */
export function stack(
  app: Application,
  options: Partial<Omit<SessionMiddlewareOptions, 'store'>> & { store?: InMemorySessionStore } = {},
): { store: InMemorySessionStore; app: Application } {
  const store = options.store ?? new InMemorySessionStore({ now: () => options.now?.() ?? NOW })
  return {
    store,
    app: SessionMiddlewareStack(app, { secret: SECRET, now: () => NOW, ...options, store }),
  }
}

/** The set-cookie header values of a response start. */
export function setCookies(start: Message): string[] {
  return ((start.headers as Array<[string, string]>) ?? [])
    .filter(([name]) => name === 'set-cookie')
    .map(([, v]) => v)
}

/** The value of the sessionid cookie in a set-cookie header. */
export function cookieValue(setCookie: string | undefined): string {
  return /^sessionid=([^;]*)/.exec(setCookie ?? '')?.[1] ?? ''
}

/** A response body as text. */
export const bodyText = (message: Message): string =>
  new TextDecoder().decode(message.body as Uint8Array)
