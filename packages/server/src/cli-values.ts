/** Bad command-line arguments: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Runs `check`; what it throws becomes a UsageError with the same message. */
export function asUsage<T>(check: () => T): T {
  try {
    return check()
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error })
  }
}

/** A duration in (possibly fractional) seconds, as Daphne takes them, converted to milliseconds. */
export function seconds(flag: string, value: string, allowZero: boolean): number {
  const number = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN
  if (Number.isNaN(number) || (!allowZero && number === 0)) {
    const what = allowZero ? 'a number of seconds' : 'a positive number of seconds'
    throw new UsageError(`${flag} must be ${what}, not ${JSON.stringify(value)}.`)
  }
  const ms = Math.round(number * 1000)
  if (ms > 2 ** 31 - 1) throw new UsageError(`${flag} is too large: ${JSON.stringify(value)}.`)
  return ms
}

/** A whole number from `min` to `max`, else a UsageError naming the flag. */
export function integer(
  flag: string,
  value: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  if (Number.isNaN(number) || number < min || number > max) {
    throw new UsageError(
      `${flag} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}.`,
    )
  }
  return number
}
