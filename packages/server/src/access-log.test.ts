import { describe, expect, it } from 'vitest'
import { createAccessLog, formatAccessLogLine } from './access-log.js'

const date = new Date(2026, 10, 27, 4, 5, 6)

describe('formatAccessLogLine', () => {
  it("formats an HTTP request as Daphne's AccessLogGenerator", () => {
    expect(
      formatAccessLogLine({
        host: '127.0.0.1:54321',
        request: 'GET /path',
        status: 200,
        length: 12,
        date,
      }),
    ).toBe('127.0.0.1:54321 - - [27/Nov/2026:04:05:06] "GET /path" 200 12')
  })

  it('writes - for unknown fields', () => {
    expect(formatAccessLogLine({ host: null, request: 'WSCONNECTING /ws/', date })).toBe(
      '- - - [27/Nov/2026:04:05:06] "WSCONNECTING /ws/" - -',
    )
  })
})

describe('createAccessLog', () => {
  it('calls a function with the line, and writes a line with a newline to a stream', () => {
    const lines: string[] = []
    createAccessLog((line) => lines.push(line))?.({ host: 'h:1', request: 'WSCONNECT /', date })
    const chunks: string[] = []
    createAccessLog({ write: (chunk: string) => chunks.push(chunk) })?.({
      host: 'h:1',
      request: 'WSCONNECT /',
      date,
    })
    expect(lines).toEqual(['h:1 - - [27/Nov/2026:04:05:06] "WSCONNECT /" - -'])
    expect(chunks).toEqual(['h:1 - - [27/Nov/2026:04:05:06] "WSCONNECT /" - -\n'])
    expect(createAccessLog(null)).toBeNull()
  })
})
