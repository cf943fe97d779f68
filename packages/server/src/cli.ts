#!/usr/bin/env node
// The `node-channels` command: `node-channels serve <module>` (mirrors the `daphne` CLI) and
// `node-channels worker <module> <channel...>` (mirrors `manage.py runworker`).
import { createWriteStream, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type Application,
  getChannelLayer,
  InMemoryChannelLayer,
  resetChannelLayers,
} from '@node-channels/core'
import { parseCli, type ServeCommand, USAGE, UsageError } from './cli-args.js'
import { type CliLayer, configureCliLayer, settleCliLayer } from './cli-layer.js'
import { ChannelLayerUnavailable } from './layer-url.js'
import { defaultLogger, type ServerLogger } from './options.js'
import { serve } from './serve.js'
import { runWorker } from './worker.js'
import type { WorkerCommand } from './worker-args.js'

/** A failure the CLI reports in one line and exits 1 for. */
class CliError extends Error {
  override name = 'CliError'
}

async function main(argv: string[]): Promise<number> {
  let command: ServeCommand | WorkerCommand | { command: 'help' }
  try {
    command = parseCli(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`node-channels: ${error.message}\n\n${USAGE}`)
    return 2
  }
  if (command.command === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  try {
    const layer = await configureCliLayer(command.layerUrl, process.env)
    return command.command === 'serve'
      ? await runServe(command, layer)
      : await runWorkerCommand(command, layer)
  } catch (error) {
    if (error instanceof UsageError) {
      // A bad --layer / CHANNEL_LAYER_URL: a usage error, like any other bad argument.
      process.stderr.write(`node-channels: ${error.message}\n\n${USAGE}`)
      return 2
    }
    if (!(error instanceof CliError) && !(error instanceof ChannelLayerUnavailable)) throw error
    process.stderr.write(`node-channels: ${error.message}\n`)
    await resetChannelLayers()
    return 1
  }
}

function cliLogger(verbosity: number): ServerLogger {
  return {
    debug: verbosity >= 2 ? (message) => console.debug(message) : () => {},
    warn: verbosity >= 1 ? defaultLogger.warn : () => {},
    error: defaultLogger.error,
  }
}

async function runWorkerCommand(
  command: WorkerCommand,
  configured: CliLayer | null,
): Promise<number> {
  const application = await loadApplication(command.module, command.exportName)
  const logger = cliLogger(command.verbosity)
  await settleCliLayer(configured, logger)
  const layer = getChannelLayer()
  if (layer === null) {
    throw new CliError(
      'Channel layer is not valid: the module configured no channel layer. Pass --layer redis://... or set CHANNEL_LAYER_URL.',
    )
  }
  if (layer instanceof InMemoryChannelLayer) {
    throw new CliError(
      'The worker needs a channel layer other processes can reach, and the in-memory layer ' +
        'lives in one process only. Pass --layer redis://... or set CHANNEL_LAYER_URL.',
    )
  }
  const stop = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.warn(`Received ${signal}; shutting down.`)
    stop.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.stdout.write(`Running worker for channels ${JSON.stringify(command.channels)}\n`)
  try {
    await runWorker(application, command.channels, {
      layer,
      signal: stop.signal,
      applicationCloseTimeoutMs: command.applicationCloseTimeoutMs,
      logger,
    })
  } catch (error) {
    throw new CliError(`the worker stopped: ${(error as Error).message}`)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await resetChannelLayers()
  }
  process.stdout.write('Worker stopped.\n')
  return 0
}

async function runServe(command: ServeCommand, configured: CliLayer | null): Promise<number> {
  const application = await loadApplication(command.module, command.exportName)
  const file =
    command.accessLog === '-' ? null : createWriteStream(command.accessLog, { flags: 'a' })
  const accessLog = file ?? process.stdout
  const logger = cliLogger(command.verbosity)
  await settleCliLayer(configured, logger)
  let handle: Awaited<ReturnType<typeof serve>>
  try {
    handle = await serve(application, {
      ...command.options,
      accessLog,
      logger,
      signalHandlers: true,
    })
  } catch (error) {
    const where = `${command.options.host ?? '127.0.0.1'}:${command.options.port ?? 8000}`
    throw new CliError(`could not start serving on ${where}: ${(error as Error).message}`)
  }
  process.stdout.write(`Listening on ${handle.url}\n`)
  await handle.closed
  if (file !== null) await new Promise<void>((done) => file.end(() => done()))
  return 0
}

/** Imports the module (through tsx for .ts/.mts) and returns the application export. */
async function loadApplication(path: string, exportName: string | null): Promise<Application> {
  const absolute = resolve(path)
  if (!existsSync(absolute)) throw new CliError(`cannot find the module ${JSON.stringify(path)}.`)
  if (/\.m?ts$/.test(absolute)) {
    const { register } = await import('tsx/esm/api')
    register()
  }
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>
  } catch (error) {
    console.error(error)
    throw new CliError(`cannot import ${JSON.stringify(path)}: ${(error as Error).message}`)
  }
  const name = exportName ?? ('application' in module ? 'application' : 'default')
  const application = module[name]
  if (application === undefined) {
    throw new CliError(
      exportName === null
        ? `${JSON.stringify(path)} exports neither "application" nor a default.`
        : `${JSON.stringify(path)} has no export named ${JSON.stringify(exportName)}.`,
    )
  }
  if (typeof application !== 'function') {
    throw new CliError(
      `the export ${JSON.stringify(name)} of ${JSON.stringify(path)} is not an application function.`,
    )
  }
  return application as Application
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('node-channels: unexpected error:', error)
    process.exit(1)
  },
)
