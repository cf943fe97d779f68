import { readFileSync } from 'node:fs'

/** Clock ticks per second for /proc CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name is in parentheses and may contain spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const userTicks = Number(fields[11])
  const systemTicks = Number(fields[12])
  return ((userTicks + systemTicks) * 1000) / TICKS_PER_SECOND
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (match === null) throw new Error(`Process ${pid} reports no VmRSS (has it exited?).`)
  return Number(match[1]) * 1024
}
