import { type IncomingMessage, request } from 'node:http'
import { onTestFinished } from 'vitest'
import { Inbox } from './inbox.js'

/** A server-sent events response and what it has sent so far, one item per event block. */
export interface EventStream<T> {
  response: IncomingMessage
  events: Inbox<T>
}

/**
 * GETs `url` with a raw HTTP request (destroyed when the test ends) and queues each event block
 * as it came ("...\n\n"), or what `read` makes of it; `read` returning undefined drops a block.
 */
export async function openEventStream<T = string>(
  url: string,
  headers: Record<string, string> = {},
  read: (block: string) => T | undefined = (block) => block as T,
): Promise<EventStream<T>> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers }, resolve)
    req.on('error', reject)
    req.end()
  })
  onTestFinished(() => {
    response.destroy()
  })
  const events = new Inbox<T>('event')
  let buffer = ''
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    buffer += chunk
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const event = read(buffer.slice(0, end + 2))
      buffer = buffer.slice(end + 2)
      if (event !== undefined) events.push(event)
    }
  })
  return { response, events }
}
