/**
 * Runs the chat: `node dist/main.js [--host HOST] [--port PORT]` (or the `HOST` / `PORT`
 * environment variables), on http://127.0.0.1:8000 by default; `--port 0` picks a free port.
 * It serves `asgi.ts`'s application, so the environment configures it (see `settings.ts`):
 * nothing set runs on the embedded in-memory layer, `CHANNEL_LAYER_URL=redis://...` on Redis.
 * Stops gracefully on Ctrl-C (SIGINT) or SIGTERM. What `manage.py runserver` is to the tutorial.
 */
import { parseArgs } from 'node:util'
import type { Application } from '@node-channels/core'
import { serve } from '@node-channels/server'
import { loadSettings, SettingsError } from './settings.js'

const USAGE = `Usage: node examples/chat/dist/main.js [--host HOST] [--port PORT]

  -b, --host HOST   interface to listen on (default: $HOST, else 127.0.0.1)
  -p, --port PORT   port to listen on, 0 for any free one (default: $PORT, else 8000)
  -h, --help        show this help

Environment: CHANNEL_LAYER_URL (redis://host:port[?prefix=name] for the Redis layer and
history), CHAT_ALLOWED_HOSTS (extra hosts allowed as WebSocket origins, comma-separated),
CHAT_PRESENCE_INTERVAL_MS (member heartbeat, default 10000).
`

/** Largest WebSocket message the chat accepts, in bytes: far above any valid frame. */
const MAX_MESSAGE_BYTES = 64 * 1024

async function main(argv: string[]): Promise<number> {
  let values: { host?: string; port?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', short: 'b' },
        port: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    process.stderr.write(`chat: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const host = values.host ?? process.env.HOST ?? '127.0.0.1'
  const portText = values.port ?? process.env.PORT ?? '8000'
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 0 && port <= 65535)) {
    process.stderr.write(
      `chat: the port must be a number from 0 to 65535, not ${JSON.stringify(portText)}.\n`,
    )
    return 2
  }

  let application: Application
  let allowedOrigins: readonly string[]
  try {
    // The server's own handshake check allows the hosts the application's validator allows.
    allowedOrigins = loadSettings().allowedHosts
    ;({ application } = await import('./asgi.js'))
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    process.stderr.write(`chat: ${error.message}\n`)
    return 2
  }
  let handle: Awaited<ReturnType<typeof serve>>
  try {
    handle = await serve(application, {
      host,
      port,
      signalHandlers: true,
      websocketMaxMessageSize: MAX_MESSAGE_BYTES,
      allowedOrigins,
    })
  } catch (error) {
    process.stderr.write(`chat: cannot listen on ${host}:${port}: ${(error as Error).message}\n`)
    return 1
  }
  const layer = process.env.CHANNEL_LAYER_URL
    ? 'the Redis channel layer'
    : 'the in-memory channel layer'
  process.stdout.write(`Chat running at ${handle.url}/ on ${layer}. Press Ctrl-C to stop.\n`)
  await handle.closed
  process.stdout.write('Chat stopped.\n')
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('chat: unexpected error:', error)
    process.exit(1)
  },
)
