import { quoteValue as quote } from './quote-value.js'

/** One server-sent event, as `sendEvent()` takes it. */
export interface ServerSentEvent {
  /**
   * The event's data: a string (a multi-line string becomes several `data:` lines, which the
   * browser joins back with `\n`), or any other value, sent as JSON.
   */
  data: unknown
  /** The event type (`event:`): the browser dispatches it to `addEventListener(event)`. @default 'message' */
  event?: string
  /** `id:`: the browser sends the last one back as `Last-Event-ID` when it reconnects. */
  id?: string
  /** `retry:`: how long the browser waits before reconnecting, in milliseconds. */
  retryMs?: number
}

// CR and LF end a field in the stream; a NUL makes browsers ignore an id.
const LINE_BREAK = /\r\n|\r|\n/
const FORBIDDEN_IN_FIELD = /[\r\n]/
const FORBIDDEN_IN_ID = /[\r\n\0]/

/**
 * Formats an event for a `text/event-stream` body, per the HTML standard's "server-sent
 * events" section: `id:`, `event:`, `retry:`, one `data:` line per line of data, then a
 * blank line. A CR, LF (or, in `id`, NUL) in `event` or `id` is a TypeError, so no field can
 * inject another event.
 */
export function formatServerSentEvent(event: ServerSentEvent): string {
  if (typeof event !== 'object' || event === null) {
    throw new TypeError(`A server-sent event must be an object, not ${quote(event)}.`)
  }
  const { data, event: type, id, retryMs } = event
  let text = ''
  if (id !== undefined) {
    if (typeof id !== 'string' || FORBIDDEN_IN_ID.test(id)) {
      throw new TypeError(
        `A server-sent event id must be a string without CR, LF or NUL, not ${quote(id)}.`,
      )
    }
    text += `id: ${id}\n`
  }
  if (type !== undefined) {
    if (typeof type !== 'string' || type === '' || FORBIDDEN_IN_FIELD.test(type)) {
      throw new TypeError(
        `A server-sent event type must be a non-empty string without CR or LF, not ${quote(type)}.`,
      )
    }
    text += `event: ${type}\n`
  }
  if (retryMs !== undefined) {
    if (!Number.isSafeInteger(retryMs) || retryMs < 0) {
      throw new RangeError(
        `A server-sent event retryMs must be a whole number of milliseconds from 0, not ${quote(retryMs)}.`,
      )
    }
    text += `retry: ${retryMs}\n`
  }
  const payload = typeof data === 'string' ? data : JSON.stringify(data)
  if (typeof payload !== 'string') {
    throw new TypeError(
      `A server-sent event needs a string or JSON-serialisable data, not ${quote(data)}.`,
    )
  }
  for (const line of payload.split(LINE_BREAK)) text += `data: ${line}\n`
  return `${text}\n`
}

/** Formats a comment (ignored by browsers; keeps proxies from closing an idle stream). */
export function formatServerSentComment(comment: string): string {
  if (typeof comment !== 'string') {
    throw new TypeError(`A server-sent comment must be a string, not ${quote(comment)}.`)
  }
  return `${comment
    .split(LINE_BREAK)
    .map((line) => `: ${line}\n`)
    .join('')}\n`
}
