import { describe, expect, it } from 'vitest'
import { parseXForwardedFor } from './proxy-headers.js'

// Ported from daphne tests/test_utils.py (TestXForwardedForHttpParsing / ...WsParsing); both
// variants become header lists here, with mixed-case names as the HTTP variant has.
describe('parseXForwardedFor', () => {
  it('reads address, port and proto', () => {
    const headers: Array<[string, string]> = [
      ['X-Forwarded-For', '10.1.2.3'],
      ['X-Forwarded-Port', '1234'],
      ['X-Forwarded-Proto', 'https'],
    ]
    expect(parseXForwardedFor(headers)).toEqual([['10.1.2.3', 1234], 'https'])
  })

  it('gives port 0 and no scheme with the address only', () => {
    expect(parseXForwardedFor([['x-forwarded-for', '10.1.2.3']])).toEqual([['10.1.2.3', 0], null])
  })

  it('takes an IPv6 address verbatim', () => {
    expect(parseXForwardedFor([['X-Forwarded-For', '1043::a321:0001, 10.0.5.6']])).toEqual([
      ['1043::a321:0001', 0],
      null,
    ])
  })

  it('takes the first of several proxies', () => {
    expect(parseXForwardedFor([['X-Forwarded-For', '10.1.2.3, 10.1.2.4']])).toEqual([
      ['10.1.2.3', 0],
      null,
    ])
  })

  it('returns the original address and scheme without the address header', () => {
    expect(parseXForwardedFor([], {}, ['127.0.0.1', 80], 'http')).toEqual([
      ['127.0.0.1', 80],
      'http',
    ])
    expect(parseXForwardedFor([['X-Forwarded-Port', '80']], {}, ['127.0.0.1', 80])).toEqual([
      ['127.0.0.1', 80],
      null,
    ])
  })

  it('returns nulls with no header and no original', () => {
    expect(parseXForwardedFor([])).toEqual([null, null])
  })

  it('ignores a port that is not an integer, and reads Python int() forms', () => {
    const base: Array<[string, string]> = [['X-Forwarded-For', '10.1.2.3']]
    expect(parseXForwardedFor([...base, ['X-Forwarded-Port', 'http']])).toEqual([
      ['10.1.2.3', 0],
      null,
    ])
    expect(parseXForwardedFor([...base, ['X-Forwarded-Port', ' 8_443 ']])).toEqual([
      ['10.1.2.3', 8443],
      null,
    ])
  })

  it('uses the first of repeated headers, and custom header names', () => {
    const headers: Array<[string, string]> = [
      ['X-Real-IP', '10.9.9.9'],
      ['X-Real-IP', '10.8.8.8'],
      ['X-Real-Port', '99'],
    ]
    expect(parseXForwardedFor(headers, { address: 'X-Real-IP', port: 'x-real-port' })).toEqual([
      ['10.9.9.9', 99],
      null,
    ])
    expect(parseXForwardedFor(headers, { address: null }, ['1.1.1.1', 1])).toEqual([
      ['1.1.1.1', 1],
      null,
    ])
  })
})
