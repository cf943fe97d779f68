import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { closeOf, httpRequest, nextMessage, openClient, withTimeout } from './helpers.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs `node --import tsx src/cli.ts ...` in the package directory. The fixtures' tsconfig maps
 * @node-channels/core to its sources, so no build is needed.
 */
function runCli(args: string[]): {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: packageDir,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'test/fixtures/tsconfig.json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk) => {
    out += chunk
  })
  child.stderr?.on('data', (chunk) => {
    err += chunk
  })
  return { child, stdout: () => out, stderr: () => err }
}

async function exitCode(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const [code] = (await withTimeout(once(child, 'exit'), timeoutMs, 'the CLI to exit')) as [
    number | null,
  ]
  return code
}

describe('node-channels serve', () => {
  it('serves a TypeScript module on port 0, then shuts down cleanly on SIGTERM', async () => {
    const cli = runCli([
      'serve',
      'test/fixtures/cli-app.ts',
      '--port',
      '0',
      '--ping-interval',
      '0.5',
    ])
    const port = await withTimeout(
      new Promise<number>((resolve, reject) => {
        const check = () => {
          const match = /^Listening on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(cli.stdout())
          if (match) resolve(Number(match[1]))
        }
        cli.child.stdout?.on('data', check)
        cli.child.once('exit', (code) => reject(new Error(`exited with ${code}: ${cli.stderr()}`)))
      }),
      15_000,
      'the CLI to listen',
    )
    const response = await httpRequest(port, '/hello?x=1')
    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe('hello from /hello')
    expect(response.headers.server).toBe('node-channels')

    const ws = await openClient(`ws://127.0.0.1:${port}/ws/`)
    ws.send('hi')
    expect((await nextMessage(ws))[0].toString()).toBe('echo: hi')

    const closed = closeOf(ws, 5000)
    cli.child.kill('SIGTERM')
    expect(await closed).toEqual({ code: 1001, reason: 'Server shutting down' })
    expect(await exitCode(cli.child)).toBe(0)
    expect(cli.stdout()).toMatch(/^127\.0\.0\.1:\d+ - - \[[^\]]+\] "GET \/hello\?x=1" 200 17$/m)
    expect(cli.stdout()).toMatch(/"WSCONNECT \/ws\/" - -$/m)
    expect(cli.stdout()).toMatch(/"WSDISCONNECT \/ws\/" 1001 -$/m)
    expect(cli.stdout()).toContain('lifespan shutdown\n')
    expect(cli.stderr()).toBe('Received SIGTERM; shutting down.\n')
  })

  it.each([
    [
      ['serve'],
      2,
      /^node-channels: serve needs the path of the module holding the application\.\n\nUsage: node-channels serve/,
    ],
    [['launch', 'app.ts'], 2, /^node-channels: Unknown command "launch"\.\n\nUsage:/],
    [
      ['serve', 'app.ts', '--port', 'eighty'],
      2,
      /^node-channels: --port must be an integer from 0 to 65535, not "eighty"\./,
    ],
    [
      ['serve', 'test/fixtures/missing.ts'],
      1,
      /^node-channels: cannot find the module "test\/fixtures\/missing\.ts"\.\n$/,
    ],
    [
      ['serve', 'test/fixtures/no-export.ts'],
      1,
      /^node-channels: "test\/fixtures\/no-export\.ts" exports neither "application" nor a default\.\n$/,
    ],
    [
      ['serve', 'test/fixtures/no-export.ts', '--application', 'notAnApplication'],
      1,
      /^node-channels: the export "notAnApplication" of "test\/fixtures\/no-export\.ts" is not an application function\.\n$/,
    ],
  ])('refuses %j with exit code %i', async (args, code, message) => {
    const cli = runCli(args)
    expect(await exitCode(cli.child)).toBe(code)
    expect(cli.stderr()).toMatch(message)
    expect(cli.stdout()).toBe('')
  })
})
