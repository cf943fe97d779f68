// Helpers of the HTTP integration tests: small applications and response helpers.
import type { Message, Receive, Scope, Send } from '@node-channels/core'
import type { Recording } from './helpers.js'

/** The body of an HTTP test application. */
export type Script = (receive: Receive, send: Send, scope: Scope) => Promise<void>

/** An HTTP application that records what it receives and runs `script`. */
export function httpApp(recording: Recording, script: Script) {
  return async (scope: Scope, receive: Receive, send: Send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan here')
    await script(recording.wrap(scope, receive), send, scope)
  }
}

/** Reads the whole request body through receive(). */
export async function readBody(receive: Receive): Promise<Buffer> {
  const chunks: Buffer[] = []
  for (;;) {
    const event = await receive()
    if (event.type !== 'http.request') throw new Error(`Got ${event.type} while reading the body`)
    chunks.push(Buffer.from(event.body as Uint8Array))
    if (!event.more_body) return Buffer.concat(chunks)
  }
}

/** Sends a whole response. */
export async function respond(
  send: Send,
  status: number,
  body: string,
  headers: Array<[string, string]> = [],
) {
  await send({ type: 'http.response.start', status, headers })
  await send({ type: 'http.response.body', body: Buffer.from(body) })
}

/** Captures the error a send() rejects with, then rethrows nothing. */
export async function failing(send: Send, message: Message): Promise<Error> {
  try {
    await send(message)
  } catch (error) {
    return error as Error
  }
  throw new Error(`send(${JSON.stringify(message)}) did not reject`)
}
