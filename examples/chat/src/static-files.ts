import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, isAbsolute, resolve, sep } from 'node:path'
import { AsyncHttpConsumer } from '@node-channels/core'

/** Content types by file extension; anything else is served as `application/octet-stream`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
})

/** Headers on every response: no MIME sniffing, no framing, a strict content policy. */
export const SECURITY_HEADERS: ReadonlyArray<[string, string]> = Object.freeze([
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'same-origin'],
  [
    'content-security-policy',
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  ],
])

/** A file found under a static root. */
export interface StaticFile {
  /** Its real path (symbolic links resolved). */
  path: string
  size: number
  mtimeMs: number
  contentType: string
}

/** The largest file served, in bytes; the assets are small, so anything bigger is refused. */
export const MAX_FILE_SIZE = 4 * 1024 * 1024

/**
 * Finds `relativePath` (a URL path below the root, already percent-decoded) under `root`.
 * Returns null, so the caller answers 404, for anything that could leave the root or expose
 * what is not an asset: an absolute path, a backslash or NUL, an empty, `.` or `..` segment,
 * any dot-file segment, a symbolic link pointing outside the root, a directory, or a file
 * larger than `MAX_FILE_SIZE`.
 */
export async function resolveStaticFile(
  root: string,
  relativePath: string,
): Promise<StaticFile | null> {
  if (relativePath.length === 0 || relativePath.length > 512) return null
  if (/[\\\0]/.test(relativePath) || isAbsolute(relativePath)) return null
  const segments = relativePath.split('/')
  if (segments.some((segment) => segment.length === 0 || segment.startsWith('.'))) return null
  let realRoot: string
  let realFile: string
  try {
    realRoot = await realpath(root)
    realFile = await realpath(resolve(realRoot, ...segments))
  } catch {
    return null // missing, or a dangling link
  }
  if (!realFile.startsWith(realRoot + sep)) return null
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(realFile)
  } catch {
    return null
  }
  if (!info.isFile() || info.size > MAX_FILE_SIZE) return null
  return {
    path: realFile,
    size: info.size,
    mtimeMs: Math.floor(info.mtimeMs),
    contentType: CONTENT_TYPES[extname(realFile).toLowerCase()] ?? 'application/octet-stream',
  }
}

/** What `StaticFilesConsumer.asAsgi()` is given. */
export interface StaticFilesInit {
  /** The directory files are served from. */
  root: string
  /** `Cache-Control` of served files. @default 'no-cache' (revalidate with the ETag) */
  cacheControl?: string
}

/**
 * Serves files under `root` at the route's `path` kwarg, e.g.
 * `rePath(/^static\/(?<path>.*)$/, StaticFilesConsumer.asAsgi({ root }))`: GET and HEAD only
 * (else 405), a weak ETag and Last-Modified with 304 answers to conditional requests, a
 * content type by extension, and a plain 404 for anything `resolveStaticFile` refuses.
 * What Django's `staticfiles` view does in development, made safe to keep in production.
 */
export class StaticFilesConsumer extends AsyncHttpConsumer {
  readonly root: string
  readonly cacheControl: string

  constructor(init?: StaticFilesInit) {
    super()
    if (typeof init?.root !== 'string') {
      throw new TypeError(`${new.target.name} needs a root directory: asAsgi({ root }).`)
    }
    this.root = init.root
    this.cacheControl = init.cacheControl ?? 'no-cache'
  }

  /** The path under `root` to serve; the default reads the route's `path` kwarg. */
  filePath(): string {
    return this.scope.url_route?.kwargs.path ?? ''
  }

  override async handle(_body: Uint8Array): Promise<void> {
    const method = this.scope.method
    if (method !== 'GET' && method !== 'HEAD') {
      await this.sendText(405, 'Method Not Allowed', [['allow', 'GET, HEAD']])
      return
    }
    const file = await resolveStaticFile(this.root, this.filePath())
    if (file === null) {
      await this.notFound()
      return
    }
    await this.sendFile(file, 200)
  }

  /** Answers 404. Override to serve a page instead. */
  async notFound(): Promise<void> {
    await this.sendText(404, 'Not Found')
  }

  /** Sends a file (or 304 when the client's copy is current); HEAD gets the headers only. */
  async sendFile(file: StaticFile, status: number): Promise<void> {
    const etag = `W/"${file.size.toString(16)}-${file.mtimeMs.toString(16)}"`
    const lastModified = new Date(file.mtimeMs).toUTCString()
    const headers: Array<[string, string]> = [
      ...SECURITY_HEADERS,
      ['cache-control', this.cacheControl],
      ['etag', etag],
      ['last-modified', lastModified],
    ]
    if (
      status === 200 &&
      isFresh(this.#header('if-none-match'), this.#header('if-modified-since'), etag, file.mtimeMs)
    ) {
      await this.sendResponse(304, new Uint8Array(0), { headers })
      return
    }
    const body = await readFile(file.path)
    headers.push(['content-type', file.contentType], ['content-length', String(body.byteLength)])
    await this.sendResponse(status, this.scope.method === 'HEAD' ? new Uint8Array(0) : body, {
      headers,
    })
  }

  /** Sends a short plain-text response. */
  async sendText(status: number, text: string, extra: Array<[string, string]> = []): Promise<void> {
    const body = Buffer.from(`${text}\n`, 'utf8')
    await this.sendResponse(status, this.scope.method === 'HEAD' ? new Uint8Array(0) : body, {
      headers: [
        ...SECURITY_HEADERS,
        ...extra,
        ['content-type', 'text/plain; charset=utf-8'],
        ['content-length', String(body.byteLength)],
      ],
    })
  }

  #header(name: string): string | null {
    let value: string | null = null
    for (const [key, item] of this.scope.headers) if (key === name) value = item
    return value
  }
}

// --- helpers ---

/** RFC 9110 §13.1: If-None-Match wins over If-Modified-Since; weak comparison for GET. */
function isFresh(
  ifNoneMatch: string | null,
  ifModifiedSince: string | null,
  etag: string,
  mtimeMs: number,
): boolean {
  if (ifNoneMatch !== null) {
    const opaque = etag.replace(/^W\//, '')
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''))
      .some((tag) => tag === '*' || tag === opaque)
  }
  if (ifModifiedSince !== null) {
    const since = Date.parse(ifModifiedSince)
    return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since
  }
  return false
}
