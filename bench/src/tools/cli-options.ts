import { parseArgs } from 'node:util'

/** `--name`'s value as a positive integer; a RangeError quoting it otherwise. */
export function positiveOption(name: string, value: string): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`--${name} must be a positive integer, got ${JSON.stringify(value)}.`)
  }
  return number
}

/** `--name`'s comma-separated value, each item one of `allowed`; a RangeError quoting a stray one. */
export function listOption<T extends string>(
  name: string,
  value: string,
  allowed: readonly T[],
): T[] {
  return value.split(',').map((item) => {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new RangeError(`--${name} takes ${allowed.join(', ')}, got ${JSON.stringify(item)}.`)
    }
    return item as T
  })
}

/** What the group-send tools are asked to run. */
export type BurstToolOptions<T extends string> = {
  members: number
  rounds: number
  burst: number
  forms: T[]
}

/**
 * The group-send tools' options from the command line: `--members` (1000), `--rounds`
 * (`defaultRounds`), `--burst` (10) and `--forms` (a list of `forms`, all by default).
 */
export function burstToolOptions<T extends string>(
  forms: readonly T[],
  defaultRounds: number,
): BurstToolOptions<T> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: String(defaultRounds) },
      burst: { type: 'string', default: '10' },
      forms: { type: 'string', default: forms.join(',') },
    },
  })
  return {
    members: positiveOption('members', values.members),
    rounds: positiveOption('rounds', values.rounds),
    burst: positiveOption('burst', values.burst),
    forms: listOption('forms', values.forms, forms),
  }
}
