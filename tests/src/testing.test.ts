// Ports django/channels tests/test_testing.py and asgiref tests/test_testing.py, plus the
// communicator semantics of the checklist (§3.3 item 7): lazy start, re-raised errors,
// timeouts that cancel, exact assertion messages and scope shapes.
import { AssertionError } from 'node:assert'
import {
  type Application,
  AsyncConsumer,
  type Message,
  resetChannelLayers,
  WebsocketConsumer,
} from '@node-channels/core'
import { path, URLRouter } from '@node-channels/router'
import {
  ApplicationCommunicator,
  CancelledError,
  HttpCommunicator,
  TimeoutError,
  WebsocketCommunicator,
} from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'

afterEach(async () => {
  await resetChannelLayers()
})

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Barebones HTTP app (SimpleHttpApp). */
class SimpleHttpApp extends AsyncConsumer {
  async http_request(): Promise<void> {
    expect(this.scope).toStrictEqual({
      type: 'http',
      http_version: '1.1',
      method: 'GET',
      path: '/test/',
      query_string: 'foo=bar',
      headers: [],
    })
    await this.baseSend({ type: 'http.response.start', status: 200, headers: [] })
    await this.baseSend({ type: 'http.response.body', body: bytes('test response') })
  }
}

/** Barebones WebSocket app (SimpleWebsocketApp). */
class SimpleWebsocketApp extends WebsocketConsumer {
  override connect(): void {
    if (this.scope.path !== '/testws/') throw new Error(`unexpected path ${this.scope.path}`)
    this.accept()
  }
  override receive({ textData, bytesData }: { textData?: string; bytesData?: Uint8Array }): void {
    this.send({ textData, bytesData })
  }
}

/** Receives and never answers (ErrorWebsocketApp). */
class ErrorWebsocketApp extends WebsocketConsumer {
  override receive(): void {}
}

/** Sends the url_route kwarg back (KwargsWebSocketApp). */
class KwargsWebSocketApp extends WebsocketConsumer {
  override connect(): void {
    this.accept()
    this.send({ textData: this.scope.url_route?.kwargs.message })
  }
}

/** Accepts, then closes at once. */
class AcceptCloseWebsocketApp extends WebsocketConsumer {
  override connect(): void {
    this.accept()
    this.close()
  }
}

describe('test_http_communicator', () => {
  it('builds the HTTP scope and collects the response', async () => {
    const communicator = new HttpCommunicator(SimpleHttpApp.asAsgi(), 'get', '/test/?foo=bar')
    const response = await communicator.getResponse()
    expect(response.body).toEqual(bytes('test response'))
    expect(response.status).toBe(200)
    expect(response.headers).toEqual([])
  })
})

describe('test_websocket_communicator', () => {
  it('connects, round-trips text, bytes and JSON, and disconnects', async () => {
    const communicator = new WebsocketCommunicator(SimpleWebsocketApp.asAsgi(), '/testws/')
    expect(await communicator.connect()).toEqual([true, null])
    expect(communicator.responseHeaders).toEqual([])
    await communicator.sendTo({ textData: 'hello' })
    expect(await communicator.receiveFrom()).toBe('hello')
    await communicator.sendTo({ bytesData: bytes('w\0\0\0') })
    expect(await communicator.receiveFrom()).toEqual(bytes('w\0\0\0'))
    await communicator.sendJsonTo({ hello: 'world' })
    expect(await communicator.receiveJsonFrom()).toEqual({ hello: 'world' })
    await communicator.disconnect()
    // A second disconnect after the application finished normally just returns.
    await expect(communicator.disconnect()).resolves.toBeUndefined()
  })
})

describe('test_websocket_incorrect_read_json', () => {
  it('says which event came instead of websocket.send', async () => {
    const communicator = new WebsocketCommunicator(AcceptCloseWebsocketApp.asAsgi(), '/testws/')
    await communicator.connect()
    const error = await communicator.receiveFrom().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AssertionError)
    expect((error as Error).message).toBe(
      "Expected type 'websocket.send', but was 'websocket.close'",
    )
    await communicator.disconnect()
  })
})

describe('test_websocket_application', () => {
  it('works through a URLRouter, which fills url_route', async () => {
    const application = URLRouter([path('testws/:message/', KwargsWebSocketApp.asAsgi())])
    const communicator = new WebsocketCommunicator(application, '/testws/test/')
    expect(await communicator.connect()).toEqual([true, null])
    expect(await communicator.receiveFrom()).toBe('test')
    await communicator.disconnect()
  })
})

describe('test_timeout_disconnect', () => {
  it('cancels the application on a timeout; disconnect() then throws CancelledError', async () => {
    const communicator = new WebsocketCommunicator(ErrorWebsocketApp.asAsgi(), '/testws/')
    expect(await communicator.connect()).toEqual([true, null])
    await communicator.sendTo({ textData: 'hello' })
    await expect(communicator.receiveFrom({ timeoutMs: 20 })).rejects.toThrow(
      new TimeoutError(
        "receiveFrom() timed out after 20 ms waiting for the application's next message.",
        20,
      ),
    )
    const error = await communicator.disconnect().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as Error).message).toBe(
      "The application was cancelled because receiveFrom() timed out after 20 ms waiting for the application's next message.",
    )
  })
})

describe('test_connection_scope', () => {
  it.each([
    [
      'user:pass@example.com:8080/p/a/t/h?query=string#hash',
      'pass@example.com:8080/p/a/t/h',
      'query=string',
    ],
    ['wss://user:pass@example.com:8080/p/a/t/h?query=string#hash', '/p/a/t/h', 'query=string'],
    [
      'ws://www.example.com/%E9%A6%96%E9%A1%B5/index.php?foo=%E9%A6%96%E9%A1%B5&spam=eggs',
      '/首页/index.php',
      'foo=%E9%A6%96%E9%A1%B5&spam=eggs',
    ],
  ])('reduces %j to an unquoted path and a raw query string', async (url, expectedPath, query) => {
    const scopes: unknown[] = []
    class ConnectionScopeValidator extends WebsocketConsumer {
      override connect(): void {
        scopes.push(this.scope)
        this.accept()
      }
    }
    const communicator = new WebsocketCommunicator(ConnectionScopeValidator.asAsgi(), url)
    expect((await communicator.connect())[0]).toBe(true)
    expect(scopes).toStrictEqual([
      { type: 'websocket', path: expectedPath, query_string: query, headers: [], subprotocols: [] },
    ])
    await communicator.disconnect()
  })

  it('keeps a non-ASCII query as UTF-8 bytes in a latin-1 string', () => {
    const communicator = new WebsocketCommunicator(SimpleWebsocketApp.asAsgi(), '/p?q=é')
    expect(communicator.scope.query_string).toBe('q=\u00c3\u00a9')
  })

  it('refuses a path that is not a string', () => {
    expect(
      () =>
        new WebsocketCommunicator(SimpleWebsocketApp.asAsgi(), bytes('/ws/') as unknown as string),
    ).toThrow(
      new TypeError('Expected the path to be a string, got Uint8Array: a Uint8Array of 4 bytes.'),
    )
  })
})

describe('ApplicationCommunicator (asgiref test_receive_nothing)', () => {
  /** Sends a response in three events, as asgiref's WsgiToAsgi app does. */
  const threeEvents: Application = async (_scope, receive, send) => {
    await receive()
    await send({ type: 'http.response.start', status: 200, headers: [] })
    await send({ type: 'http.response.body', body: bytes('content'), more_body: true })
    await send({ type: 'http.response.body', body: new Uint8Array(0) })
  }
  const scope = {
    type: 'http' as const,
    http_version: '1.0',
    method: 'GET',
    path: '/foo/',
    query_string: 'bar=baz',
    headers: [],
  }

  it('is true before any input, false while output is queued, true once drained', async () => {
    const instance = new ApplicationCommunicator(threeEvents, scope)
    expect(await instance.receiveNothing()).toBe(true)
    await instance.sendInput({ type: 'http.request' })
    expect(await instance.receiveNothing()).toBe(false)
    await instance.receiveOutput()
    expect(await instance.receiveNothing()).toBe(false)
    await instance.receiveOutput()
    expect(await instance.receiveNothing()).toBe(false)
    await instance.receiveOutput()
    expect(await instance.receiveNothing({ timeoutMs: 10 })).toBe(true)
  })

  it('starts the application lazily (test_receive_nothing_lazy_loop)', async () => {
    const calls: string[] = []
    const app: Application = async (...args) => {
      calls.push('started')
      await threeEvents(...args)
    }
    const instance = new ApplicationCommunicator(app, scope)
    expect(calls).toEqual([])
    expect(await instance.receiveNothing({ timeoutMs: 10 })).toBe(true)
    expect(calls).toEqual(['started'])
  })
})

describe('ApplicationCommunicator', () => {
  const failing: Application = async (_scope, receive) => {
    await receive()
    throw new RangeError('app failed')
  }
  const scope = { type: 'channel' as const, channel: 'work' }

  it('re-raises the application’s error from the next call, sendInput included', async () => {
    const communicator = new ApplicationCommunicator(failing, scope)
    await communicator.sendInput({ type: 'go.now' })
    await expect(communicator.receiveOutput()).rejects.toThrow(new RangeError('app failed'))
    await expect(communicator.sendInput({ type: 'go.again' })).rejects.toThrow(
      new RangeError('app failed'),
    )
    await expect(communicator.wait()).rejects.toThrow(new RangeError('app failed'))
    await expect(communicator.stop()).rejects.toThrow(new RangeError('app failed'))
    await expect(communicator.stop({ exceptions: false })).resolves.toBeUndefined()
  })

  it('reports the error as soon as the application fails, not at the timeout', async () => {
    const communicator = new ApplicationCommunicator(failing, scope)
    const started = performance.now()
    const pending = communicator.receiveOutput({ timeoutMs: 5000 })
    await communicator.sendInput({ type: 'go.now' })
    await expect(pending).rejects.toThrow(new RangeError('app failed'))
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('still queues input and returns queued output after a normal finish', async () => {
    const once: Application = async (_scope, receive, send) => {
      const message = await receive()
      await send({ type: 'echo.back', original: message.type })
    }
    const communicator = new ApplicationCommunicator(once, scope)
    await communicator.sendInput({ type: 'first.one' })
    await communicator.wait()
    expect(await communicator.receiveOutput()).toEqual({ type: 'echo.back', original: 'first.one' })
    await expect(communicator.sendInput({ type: 'too.late' })).resolves.toBeUndefined()
  })

  it('cancels a hung application on a wait() timeout: its receive() rejects', async () => {
    const seen: unknown[] = []
    const hung: Application = async (_scope, receive) => {
      try {
        await receive()
      } catch (error) {
        seen.push(error)
        throw error
      }
    }
    const communicator = new ApplicationCommunicator(hung, scope)
    await expect(communicator.wait({ timeoutMs: 10 })).rejects.toThrow(
      new TimeoutError('wait() timed out after 10 ms waiting for the application to finish.', 10),
    )
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(CancelledError)
    await expect(communicator.wait()).resolves.toBeUndefined()
    await expect(communicator.receiveOutput()).rejects.toBeInstanceOf(CancelledError)
  })

  it('stop() cancels a running application', async () => {
    const outcome: string[] = []
    const app: Application = async (_scope, receive) => {
      await receive().catch((error: unknown) => {
        outcome.push((error as Error).message)
      })
    }
    const communicator = new ApplicationCommunicator(app, scope)
    await communicator.receiveNothing({ timeoutMs: 0 })
    await communicator.stop()
    expect(outcome).toEqual(['The application was cancelled by stop().'])
  })

  it('has a configurable default timeout for every communicator (Channels #2044)', async () => {
    const previous = ApplicationCommunicator.defaultTimeoutMs
    ApplicationCommunicator.defaultTimeoutMs = 15
    try {
      const communicator = new WebsocketCommunicator(ErrorWebsocketApp.asAsgi(), '/ws/')
      await communicator.connect({ timeoutMs: 1000 })
      const error = await communicator.receiveFrom().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(TimeoutError)
      expect((error as TimeoutError).timeoutMs).toBe(15)
    } finally {
      ApplicationCommunicator.defaultTimeoutMs = previous
    }
  })

  it.each([
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    ['10', '"10"'],
  ])('refuses the timeout %j with a RangeError', async (timeoutMs, quoted) => {
    const communicator = new ApplicationCommunicator(failing, scope)
    await expect(communicator.receiveOutput({ timeoutMs: timeoutMs as number })).rejects.toThrow(
      new RangeError(
        `timeoutMs must be a number of milliseconds from 0 to 2147483647, not ${quoted}.`,
      ),
    )
  })

  it('throws into the application when it sends something that is not a message', async () => {
    const sloppy: Application = async (_scope, _receive, send) => {
      await send('websocket.accept' as unknown as Message)
    }
    const communicator = new ApplicationCommunicator(sloppy, scope)
    await expect(communicator.wait()).rejects.toThrow(
      new TypeError(
        'An application must send objects with a string "type", not "websocket.accept".',
      ),
    )
  })
})

describe('WebsocketCommunicator checks', () => {
  it.each([
    [{}, 'You must supply exactly one of textData or bytesData.'],
    [
      { textData: 'a', bytesData: bytes('b') },
      'You must supply exactly one of textData or bytesData.',
    ],
    [{ textData: 5 }, 'The textData argument must be a string, not 5.'],
    [{ bytesData: 'b' }, 'The bytesData argument must be a Uint8Array, not "b".'],
  ])('sendTo(%j) is refused', async (frame, message) => {
    const communicator = new WebsocketCommunicator(SimpleWebsocketApp.asAsgi(), '/testws/')
    await expect(communicator.sendTo(frame as { textData?: string })).rejects.toThrow(
      new TypeError(message),
    )
  })

  it('sends empty frames, which Channels’ helper cannot', async () => {
    const communicator = new WebsocketCommunicator(SimpleWebsocketApp.asAsgi(), '/testws/')
    await communicator.connect()
    await communicator.sendTo({ textData: '' })
    expect(await communicator.receiveFrom()).toBe('')
    await communicator.disconnect()
  })

  it.each([
    [{ type: 'websocket.send' }, "The response needs exactly one of 'text' or 'bytes'"],
    [
      { type: 'websocket.send', text: 'a', bytes: bytes('b') },
      "The response needs exactly one of 'text' or 'bytes'",
    ],
    [{ type: 'websocket.send', text: 7 }, 'Text frame payload is not a string, it is number'],
    [
      { type: 'websocket.send', bytes: 'b' },
      'Binary frame payload is not a Uint8Array, it is string',
    ],
  ])('receiveFrom() asserts on %j', async (event, message) => {
    const app: Application = async (_scope, _receive, send) => {
      await send(event)
    }
    const communicator = new WebsocketCommunicator(app, '/ws/')
    const error = await communicator.receiveFrom().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AssertionError)
    expect((error as Error).message).toBe(message)
  })

  it('receiveJsonFrom() asserts the frame is text', async () => {
    const communicator = new WebsocketCommunicator(SimpleWebsocketApp.asAsgi(), '/testws/')
    await communicator.connect()
    await communicator.sendTo({ bytesData: bytes('{}') })
    const error = await communicator.receiveJsonFrom().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AssertionError)
    expect((error as Error).message).toBe('JSON data is not a text frame, it is Uint8Array')
    await communicator.disconnect()
  })

  it('connect() asserts the answer is an accept or a close', async () => {
    const app: Application = async (_scope, _receive, send) => {
      await send({ type: 'websocket.send', text: 'too soon' })
    }
    const communicator = new WebsocketCommunicator(app, '/ws/')
    await expect(communicator.connect()).rejects.toThrow(
      "Expected type 'websocket.accept' or 'websocket.close', but was 'websocket.send'",
    )
  })
})

describe('HttpCommunicator checks', () => {
  it('asserts the response starts with http.response.start', async () => {
    const app: Application = async (_scope, _receive, send) => {
      await send({ type: 'http.response.body', body: bytes('x') })
    }
    const error = await new HttpCommunicator(app, 'GET', '/')
      .getResponse()
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AssertionError)
    expect((error as Error).message).toBe(
      "Expected type 'http.response.start', but was 'http.response.body'",
    )
  })

  it('sends the body once, joins body chunks and keeps extra start keys', async () => {
    const requests: Message[] = []
    const app: Application = async (_scope, receive, send) => {
      requests.push(await receive())
      await send({ type: 'http.response.start', status: 201, trailers: false })
      await send({ type: 'http.response.body', body: bytes('ab'), more_body: true })
      await send({ type: 'http.response.body', more_body: true })
      await send({ type: 'http.response.body', body: bytes('c') })
    }
    const communicator = new HttpCommunicator(app, 'post', '/upload/%7Eme', {
      body: 'payload',
      headers: [['content-type', 'text/plain']],
    })
    expect(communicator.scope).toStrictEqual({
      type: 'http',
      http_version: '1.1',
      method: 'POST',
      path: '/upload/~me',
      query_string: '',
      headers: [['content-type', 'text/plain']],
    })
    expect(await communicator.getResponse()).toEqual({
      status: 201,
      trailers: false,
      headers: [],
      body: bytes('abc'),
    })
    expect(requests).toEqual([{ type: 'http.request', body: bytes('payload') }])
  })
})
