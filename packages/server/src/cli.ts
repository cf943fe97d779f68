#!/usr/bin/env node
// The `node-channels` command: `node-channels serve <module>`. Mirrors the `daphne` CLI.
import { createWriteStream, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Application } from '@node-channels/core'
import { parseCli, type ServeCommand, USAGE, UsageError } from './cli-args.js'
import { defaultLogger, type ServerLogger } from './options.js'
import { serve } from './serve.js'

/** A failure the CLI reports in one line and exits 1 for. */
class CliError extends Error {
  override name = 'CliError'
}

async function main(argv: string[]): Promise<number> {
  let command: ServeCommand | { command: 'help' }
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
    return await runServe(command)
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    process.stderr.write(`node-channels: ${error.message}\n`)
    return 1
  }
}

async function runServe(command: ServeCommand): Promise<number> {
  const application = await loadApplication(command.module, command.exportName)
  const file =
    command.accessLog === '-' ? null : createWriteStream(command.accessLog, { flags: 'a' })
  const accessLog = file ?? process.stdout
  const logger: ServerLogger = {
    debug: command.verbosity >= 2 ? (message) => console.debug(message) : () => {},
    warn: command.verbosity >= 1 ? defaultLogger.warn : () => {},
    error: defaultLogger.error,
  }
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
