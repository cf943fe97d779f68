// Characters a URL scheme may contain after its first letter (RFC 3986, as Python's urlsplit).
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/
const PERCENT_RUN = /(?:%[0-9a-fA-F]{2})+/g
const decoder = new TextDecoder('utf-8')

/** The `path` and `query_string` a test communicator puts in its scope. */
export interface TestPath {
  /** The path, percent-decoded as UTF-8 (invalid sequences become U+FFFD). */
  path: string
  /** The query string as given, UTF-8 encoded, as a latin-1 string. */
  query_string: string
}

/**
 * Splits what a test passes as the path the way Channels' communicators do with Python's
 * `urlparse` + `unquote`: a scheme and `//netloc` are dropped, the fragment is dropped, the
 * path is percent-decoded and the query is kept as sent. (Unlike `urlparse`, a `;params`
 * suffix stays part of the path.)
 */
export function parseTestPath(target: string): TestPath {
  let rest = target
  const scheme = SCHEME.exec(rest)
  if (scheme) rest = rest.slice(scheme[0].length)
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/)
    rest = end === -1 ? '' : rest.slice(2 + end)
  }
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const question = rest.indexOf('?')
  const rawPath = question === -1 ? rest : rest.slice(0, question)
  const query = question === -1 ? '' : rest.slice(question + 1)
  return {
    path: rawPath.replace(PERCENT_RUN, (run) => decoder.decode(percentBytes(run))),
    query_string: Buffer.from(query, 'utf8').toString('latin1'),
  }
}

function percentBytes(run: string): Uint8Array {
  const bytes = new Uint8Array(run.length / 3)
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(run.slice(index * 3 + 1, index * 3 + 3), 16)
  }
  return bytes
}
