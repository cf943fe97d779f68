import { describe, expect, it } from 'vitest'
import { failCodeOf, parseAccept, parseClose, parseSend } from './websocket-messages.js'

describe('parseAccept', () => {
  it('takes an offered subprotocol and normalises headers to latin-1 strings', () => {
    expect(
      parseAccept(
        {
          type: 'websocket.accept',
          subprotocol: 'b',
          headers: [[Buffer.from('x-a'), Buffer.from('é', 'latin1')]],
        },
        ['a', 'b'],
      ),
    ).toEqual({ subprotocol: 'b', headers: [['x-a', 'é']] })
    expect(parseAccept({ type: 'websocket.accept', subprotocol: null }, [])).toEqual({
      subprotocol: null,
      headers: [],
    })
  })

  it.each([
    [
      { subprotocol: 'c' },
      'Subprotocol "c" in websocket.accept was not offered by the client (offered: ["a","b"]).',
    ],
    [{ subprotocol: 3 }, 'Subprotocol 3 in websocket.accept must be a string.'],
    [
      { headers: [['sec-websocket-protocol', 'a']] },
      'Header "sec-websocket-protocol" in websocket.accept is set by the server.',
    ],
    [{ headers: [['bad name', 'x']] }, 'Header name "bad name" is not a valid HTTP token.'],
    [
      { headers: 'x-a: 1' },
      'websocket.accept headers must be a list of [name, value] pairs, not "x-a: 1".',
    ],
    [{ headers: [['x-a']] }, 'websocket.accept header ["x-a"] must be a [name, value] pair.'],
  ])('rejects %j', (fields, message) => {
    expect(() => parseAccept({ type: 'websocket.accept', ...fields }, ['a', 'b'])).toThrow(
      new Error(message),
    )
  })
})

describe('parseSend', () => {
  it('gives the payload: a string for text, the Uint8Array itself for bytes', () => {
    expect(parseSend({ type: 'websocket.send', text: 'hi', bytes: null }, '/')).toBe('hi')
    const bytes = new Uint8Array([1, 2])
    expect(parseSend({ type: 'websocket.send', bytes }, '/')).toBe(bytes)
  })

  it.each([
    [
      { text: 'a', bytes: new Uint8Array(1) },
      'Got invalid WebSocket reply message on /p/ - contains both bytes and text keys',
    ],
    [{}, 'Got invalid WebSocket reply message on /p/ - contains neither bytes nor text'],
    [{ text: 5 }, 'The text of websocket.send must be a string, not 5.'],
    [{ bytes: 'abc' }, 'The bytes of websocket.send must be a Uint8Array, not "abc".'],
  ])('rejects %j', (fields, message) => {
    expect(() => parseSend({ type: 'websocket.send', ...fields }, '/p/')).toThrow(
      new Error(message),
    )
  })
})

describe('parseClose', () => {
  it('defaults to 1000 and an empty reason', () => {
    expect(parseClose({ type: 'websocket.close' })).toEqual({ code: 1000, reason: '' })
    expect(parseClose({ type: 'websocket.close', code: 4000, reason: 'bye' })).toEqual({
      code: 4000,
      reason: 'bye',
    })
  })

  it.each([
    [
      { code: 1005 },
      'Close code 1005 in websocket.close is not one an endpoint may send (1000-1003, 1007-1014 or 3000-4999).',
    ],
    [
      { code: 999 },
      'Close code 999 in websocket.close is not one an endpoint may send (1000-1003, 1007-1014 or 3000-4999).',
    ],
    [
      { code: '4000' },
      'Close code "4000" in websocket.close is not one an endpoint may send (1000-1003, 1007-1014 or 3000-4999).',
    ],
    [{ reason: 7 }, 'Close reason 7 in websocket.close must be a string.'],
    [
      { reason: 'é'.repeat(62) },
      `Close reason in websocket.close is over 123 bytes: "${'é'.repeat(62)}".`,
    ],
  ])('rejects %j', (fields, message) => {
    expect(() => parseClose({ type: 'websocket.close', ...fields })).toThrow(new Error(message))
  })
})

describe('failCodeOf', () => {
  it.each([
    ['WS_ERR_INVALID_UTF8', 1007],
    ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009],
    ['WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008],
    ['WS_ERR_INVALID_OPCODE', 1002],
  ])('maps %s to %i', (code, closeCode) => {
    expect(failCodeOf(code)).toBe(closeCode)
  })
})
