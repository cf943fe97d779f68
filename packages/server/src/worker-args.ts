import { parseArgs } from 'node:util'
import { requireValidChannelName } from '@node-channels/core'
import { asUsage, integer, seconds, UsageError } from './cli-values.js'

/** What `node-channels worker` was asked to do. Mirrors `manage.py runworker`'s arguments. */
export interface WorkerCommand {
  command: 'worker'
  /** Path of the module holding the application. */
  module: string
  /** The channels to consume, in order, without duplicates. */
  channels: string[]
  /** The export to run: `--application`, else `application`, else `default`. */
  exportName: string | null
  /** `--layer`: a channel layer URL (else `CHANNEL_LAYER_URL`, else the module's own layer). */
  layerUrl: string | null
  /** `--application-close-timeout`, in milliseconds. @default 10000 */
  applicationCloseTimeoutMs: number
  /** 0 warnings off, 1 warnings and errors (default), 2 also debug lines. */
  verbosity: number
}

/** The worker's line of the usage synopsis. */
export const WORKER_SYNOPSIS: string =
  '       node-channels worker <module> <channel> [<channel>...] [options]\n'

/** The worker's part of the help text. */
export const WORKER_HELP: string = `Worker: runs the module's application for the named channels (its ProtocolTypeRouter's
\`channel\` entry, usually a ChannelNameRouter): one long-lived instance per channel, fed the
messages other processes send there. It needs a channel layer shared between processes.

Worker options:
      --layer URL                     channel layer: redis://..., rediss://... (default
                                      $CHANNEL_LAYER_URL, else the module's own layer)
      --application NAME              export to run (default application, then default)
      --application-close-timeout SECONDS
                                      time instances have to finish on shutdown (default 10)
  -v, --verbosity N                   0 quiet, 1 warnings (default), 2 debug
  -h, --help                          show this help
`

/** Parses the arguments after `worker`. Throws UsageError for anything it cannot use. */
export function parseWorker(argv: readonly string[]): WorkerCommand | { command: 'help' } {
  const { values, positionals } = asUsage(() => parseWorkerArgs(argv))
  if (values.help) return { command: 'help' }
  const [module, ...channels] = positionals
  if (module === undefined) {
    throw new UsageError('worker needs the path of the module holding the application.')
  }
  if (channels.length === 0) throw new UsageError('worker needs at least one channel name.')
  for (const channel of channels) {
    asUsage(() => requireValidChannelName(channel))
    if (channel.includes('!')) {
      throw new UsageError(
        `worker cannot consume the process-local channel ${JSON.stringify(channel)}; name a shared channel.`,
      )
    }
  }
  const duplicate = channels.find((channel, i) => channels.indexOf(channel) !== i)
  if (duplicate !== undefined) {
    throw new UsageError(`The channel ${JSON.stringify(duplicate)} is listed twice.`)
  }
  const timeout = values['application-close-timeout']
  return {
    command: 'worker',
    module,
    channels,
    exportName: values.application ?? null,
    layerUrl: values.layer ?? null,
    applicationCloseTimeoutMs:
      timeout === undefined ? 10_000 : seconds('--application-close-timeout', timeout, true),
    verbosity: values.verbosity === undefined ? 1 : integer('--verbosity', values.verbosity, 0, 2),
  }
}

function parseWorkerArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      layer: { type: 'string' },
      application: { type: 'string' },
      'application-close-timeout': { type: 'string' },
      verbosity: { type: 'string', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
