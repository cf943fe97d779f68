// The one rule for tests that need something outside Node (Redis, Python, Chromium): they may
// skip on a machine without it, but never when the CI environment variable is set.

/** Thrown when CI is set and something the tests need is missing. */
export class MissingInCiError extends Error {
  override name = 'MissingInCiError'
}

/**
 * Whether the tests that need something run: `present` outside CI (they skip without it);
 * under CI they always run, and a missing one throws MissingInCiError saying `absence`.
 */
export function neededHere(
  present: boolean,
  absence: string,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (present) return true
  if (env.CI) throw new MissingInCiError(`${absence}, and CI needs it.`)
  return false
}
