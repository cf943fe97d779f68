import { existsSync, readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second for /proc CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

/** Whether this kernel keeps per-thread run times in nanoseconds (CONFIG_SCHED_INFO). */
const HAS_SCHEDSTAT = existsSync('/proc/self/schedstat')

/**
 * CPU time (user + system) a process's live threads have used so far, in milliseconds.
 * Read from each thread's /proc/<pid>/task/<tid>/schedstat, which counts nanoseconds: the
 * tick counts in /proc/<pid>/stat move in 10 ms steps, too coarse for a short cell (a smoke
 * run's connect cell can finish inside one tick). Falls back to the ticks where the kernel
 * keeps no schedstat.
 */
export function cpuTimeMs(pid: number): number {
  return HAS_SCHEDSTAT ? threadRunNanoseconds(pid) / 1e6 : tickCpuTimeMs(pid)
}

function threadRunNanoseconds(pid: number): number {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let line: string
    try {
      line = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
    } catch (error) {
      // A thread that exited between the listing and the read used nothing more.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    total += Number(line.slice(0, line.indexOf(' ')))
  }
  return total
}

function tickCpuTimeMs(pid: number): number {
  const { userMs, kernelMs } = cpuSplitMs(pid)
  return userMs + kernelMs
}

/**
 * A process's CPU time so far split into user mode (its JavaScript, V8, Node's C++) and
 * kernel mode (system calls: socket reads and writes, epoll), in milliseconds, from the
 * utime and stime ticks of /proc/<pid>/stat: 10 ms steps, so the split is for windows of
 * seconds, where `cpuTimeMs` gives the precise total.
 */
export function cpuSplitMs(pid: number): { userMs: number; kernelMs: number } {
  return parseStatTimes(readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

/** The utime and stime fields of a /proc/<pid>/stat line, in milliseconds. */
export function parseStatTimes(stat: string): { userMs: number; kernelMs: number } {
  // The command name is in parentheses and may contain spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const userTicks = Number(fields[11])
  const systemTicks = Number(fields[12])
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) {
    throw new Error(`No CPU times in /proc stat line ${JSON.stringify(stat.slice(0, 120))}.`)
  }
  return {
    userMs: (userTicks * 1000) / TICKS_PER_SECOND,
    kernelMs: (systemTicks * 1000) / TICKS_PER_SECOND,
  }
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (match === null) throw new Error(`Process ${pid} reports no VmRSS (has it exited?).`)
  return Number(match[1]) * 1024
}
