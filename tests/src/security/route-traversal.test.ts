// Path traversal and encoded slashes in routes. The server percent-decodes `path` once and
// normalises nothing; URLRouter matches the decoded path as it is, so `..` is an ordinary
// segment and `%2F` a real slash: no trick reaches a route the plain path would not.
import { type Application, AsyncHttpConsumer, WebsocketConsumer } from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EchoConsumer, handshakeStatus, rawExchange, startServer } from './harness.js'
import { underAttack } from './under-attack.js'

let adminReached = 0
const filesServed: string[] = []

/** The route every attack aims at. */
class AdminConsumer extends WebsocketConsumer {
  override connect(): Promise<void> {
    adminReached++
    return this.accept()
  }
}

class PublicFileConsumer extends WebsocketConsumer {
  override connect(): Promise<void> {
    filesServed.push(this.scope.url_route?.kwargs.file ?? '')
    return this.accept()
  }
}

class HttpAdmin extends AsyncHttpConsumer {
  override handle(): Promise<void> {
    adminReached++
    return this.sendResponse(200, 'admin')
  }
}

class HttpPublicFile extends AsyncHttpConsumer {
  override handle(): Promise<void> {
    const file = this.scope.url_route?.kwargs.file ?? ''
    filesServed.push(file)
    return this.sendResponse(200, `file ${file}`)
  }
}

const application: Application = ProtocolTypeRouter({
  http: URLRouter([
    path('admin/', HttpAdmin.asAsgi()),
    path('public/:file', HttpPublicFile.asAsgi()),
  ]),
  websocket: URLRouter([
    path('ws/echo/', EchoConsumer.asAsgi()),
    path('ws/admin/', AdminConsumer.asAsgi()),
    path('ws/public/:file/', PublicFileConsumer.asAsgi()),
  ]),
})

const { server } = underAttack(() => startServer(application))

beforeEach(() => {
  filesServed.length = 0
})

afterEach(async () => {
  expect(adminReached).toBe(0)
})

describe('path traversal and encoded slashes in WebSocket routes', () => {
  it.each([
    '/ws/public/../admin/',
    '/ws/public/..%2Fadmin/',
    '/ws/public/..%2fadmin/',
    '/ws/public/%2e%2e/admin/',
    '/ws/public/%2E%2E%2Fadmin/',
    '/ws/public/%2e%2e%2f%2e%2e%2fws%2fadmin/',
    '/ws/public/a%2Fb/',
    '/ws/./admin/',
    '/ws//admin/',
    '/ws/admin/../admin/x/',
    '/ws/admin/%00/',
  ])('answers 404 to %s', async (target) => {
    expect(await handshakeStatus(server.port, target)).toBe(404)
    expect(filesServed).toEqual([])
  })

  it('answers 400 to a path that is not UTF-8 once decoded', async () => {
    expect(await handshakeStatus(server.port, '/ws/public/%ff%fe/')).toBe(400)
  })

  it('gives a route parameter the decoded segment verbatim, backslashes and dots included', async () => {
    expect(await handshakeStatus(server.port, '/ws/public/..%5Cadmin/')).toBe(101)
    expect(await handshakeStatus(server.port, '/ws/public/..../')).toBe(101)
    expect(filesServed).toEqual(['..\\admin', '....'])
  })
})

describe('path traversal and encoded slashes in HTTP routes', () => {
  it.each([
    '/public/../admin/',
    '/public/..%2Fadmin/',
    '/public/%2e%2e%2fadmin/',
    '/public/%2e%2e/admin/',
    '/public/a%2Fb',
    '/public/',
    '/../admin/',
  ])('answers 404 to %s', async (target) => {
    const answer = await rawExchange(
      server.port,
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    )
    expect(answer.status).toBe(404)
    expect(filesServed).toEqual([])
  })

  it('serves the literal file name %2e%2e decodes to, never a parent directory', async () => {
    const answer = await rawExchange(
      server.port,
      'GET /public/%2e%2e HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    )
    expect(answer.status).toBe(200)
    expect(answer.text.endsWith('file ..')).toBe(true)
    expect(filesServed).toEqual(['..'])
  })
})
