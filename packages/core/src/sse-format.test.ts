import { describe, expect, it } from 'vitest'
import { formatServerSentComment, formatServerSentEvent } from './sse-format.js'

describe('formatServerSentEvent', () => {
  it('writes id, event and retry fields, then one data line per line, then a blank line', () => {
    expect(formatServerSentEvent({ id: '7', event: 'chat', retryMs: 3000, data: 'hello' })).toBe(
      'id: 7\nevent: chat\nretry: 3000\ndata: hello\n\n',
    )
  })

  it('splits multi-line data on CRLF, CR and LF', () => {
    expect(formatServerSentEvent({ data: 'a\r\nb\rc\nd' })).toBe(
      'data: a\ndata: b\ndata: c\ndata: d\n\n',
    )
    expect(formatServerSentEvent({ data: '' })).toBe('data: \n\n')
  })

  it('sends any other data as JSON', () => {
    expect(formatServerSentEvent({ data: { text: 'x\ny', n: 1 } })).toBe(
      'data: {"text":"x\\ny","n":1}\n\n',
    )
  })

  it.each([
    [
      { data: 'x', event: 'a\nevent: b' },
      'A server-sent event type must be a non-empty string without CR or LF, not "a\\nevent: b".',
    ],
    [
      { data: 'x', event: '' },
      'A server-sent event type must be a non-empty string without CR or LF, not "".',
    ],
    [
      { data: 'x', id: '1\rdata: forged' },
      'A server-sent event id must be a string without CR, LF or NUL, not "1\\rdata: forged".',
    ],
    [
      { data: 'x', id: 'a\0b' },
      'A server-sent event id must be a string without CR, LF or NUL, not "a\\u0000b".',
    ],
    [
      { data: undefined },
      'A server-sent event needs a string or JSON-serialisable data, not undefined.',
    ],
  ])('refuses %j (no field can inject another)', (event, message) => {
    expect(() => formatServerSentEvent(event)).toThrow(new TypeError(message))
  })

  it('refuses a retry that is not a whole number of milliseconds', () => {
    expect(() => formatServerSentEvent({ data: 'x', retryMs: -1 })).toThrow(
      new RangeError(
        'A server-sent event retryMs must be a whole number of milliseconds from 0, not -1.',
      ),
    )
  })
})

describe('formatServerSentComment', () => {
  it('prefixes every line with a colon', () => {
    expect(formatServerSentComment('keep-alive')).toBe(': keep-alive\n\n')
    expect(formatServerSentComment('a\nb')).toBe(': a\n: b\n\n')
  })
})
