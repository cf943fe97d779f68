import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let tasksetAvailable: boolean | undefined

/** Whether `taskset` (util-linux) is installed, so children can be pinned to a core. */
export function canPin(): boolean {
  tasksetAvailable ??= spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0
  return tasksetAvailable
}

/** The soft limit on open files this process (and so its children) starts with. */
export function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const line = limits.split('\n').find((text) => text.startsWith('Max open files'))
  const soft = line?.split(/\s{2,}/)[1]
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft)
}

/**
 * The command line that runs `argv` pinned to `cpus` (a taskset list such as "1"), with the
 * open-file limit raised to `minOpenFiles` through `prlimit` when the current one is lower.
 * Both tools exec the program, so the child's pid is the program's pid.
 */
export function pinnedCommand(
  argv: string[],
  cpus: string | null,
  minOpenFiles = 0,
): { command: string; args: string[] } {
  let line = [...argv]
  if (cpus !== null && canPin()) line = ['taskset', '-c', cpus, ...line]
  if (minOpenFiles > openFileLimit())
    line = ['prlimit', `--nofile=${minOpenFiles}:${minOpenFiles}`, '--', ...line]
  const [command, ...args] = line
  if (command === undefined)
    throw new TypeError('A command line needs at least the program to run.')
  return { command, args }
}
