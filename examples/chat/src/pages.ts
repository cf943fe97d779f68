import { AsyncHttpConsumer } from '@node-channels/core'
import { roomNameSchema } from './rooms.js'
import {
  resolveStaticFile,
  SECURITY_HEADERS,
  StaticFilesConsumer,
  type StaticFilesInit,
} from './static-files.js'

/** What `PageConsumer.asAsgi()` is given. */
export interface PageInit extends StaticFilesInit {
  /** The HTML file under `root` this route serves. */
  page: string
  /** The response status. @default 200 */
  status?: number
}

/** Serves one HTML page from the public directory: the index, the room page, the 404 page. */
export class PageConsumer extends StaticFilesConsumer {
  readonly page: string
  readonly status: number

  constructor(init?: PageInit) {
    super(init)
    if (typeof init?.page !== 'string') {
      throw new TypeError(`${new.target.name} needs a page: asAsgi({ root, page }).`)
    }
    this.page = init.page
    this.status = init.status ?? 200
  }

  override filePath(): string {
    return this.page
  }

  override async handle(body: Uint8Array): Promise<void> {
    if (this.status === 200) return super.handle(body)
    // An error page: any method gets it, and it is never answered 304.
    const file = await resolveStaticFile(this.root, this.page)
    if (file === null) await this.sendText(this.status, 'Not Found')
    else await this.sendFile(file, this.status)
  }

  /** A missing asset becomes the 404 page, when there is one. */
  override async notFound(): Promise<void> {
    const file = await resolveStaticFile(this.root, '404.html')
    if (file === null) await this.sendText(404, 'Not Found')
    else await this.sendFile(file, 404)
  }
}

/**
 * The room page, `/chat/<room>/`: the same HTML for every room (the browser reads the room
 * from the URL), or the 404 page when the room name breaks the rules (`roomNameSchema`).
 */
export class RoomPageConsumer extends PageConsumer {
  override async handle(body: Uint8Array): Promise<void> {
    const room = roomNameSchema.safeParse(this.scope.url_route?.kwargs.room_name ?? '')
    if (!room.success) await this.notFound()
    else await super.handle(body)
  }
}

/**
 * Redirects `/chat/lobby` to `/chat/lobby/` (301), keeping the query string, as Django's
 * `APPEND_SLASH` does. Each segment is percent-encoded again, so the Location header holds
 * only ASCII whatever the path was.
 */
export class AppendSlashConsumer extends AsyncHttpConsumer {
  override async handle(_body: Uint8Array): Promise<void> {
    const { root_path: rootPath = '', path, query_string: query } = this.scope
    const encoded = path.split('/').map(encodeURIComponent).join('/')
    // The query string is latin-1 (one char per byte): escape anything not printable ASCII.
    const safeQuery = query.replace(
      /[^\x21-\x7e]/g,
      (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`,
    )
    const location = `${rootPath}${encoded}/${safeQuery ? `?${safeQuery}` : ''}`
    await this.sendResponse(301, '', {
      headers: [...SECURITY_HEADERS, ['location', location], ['content-length', '0']],
    })
  }
}
