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
export type BurstToolOptions<T extends string, L extends string> = {
  members: number
  rounds: number
  burst: number
  forms: T[]
  /** The `layers` asked for (empty for a tool that takes no `--layers`). */
  layers: L[]
}

/**
 * The group-send tools' options from the command line: `--members` (1000), `--rounds`
 * (`defaultRounds`), `--burst` (10), `--forms` (a list of `forms`, all by default) and, for a
 * tool given `layers`, `--layers` (a list of them, the first by default). `args` are the
 * command line's by default.
 */
export function burstToolOptions<T extends string, L extends string = never>(
  forms: readonly T[],
  defaultRounds: number,
  layers: readonly L[] = [],
  args: string[] = process.argv.slice(2),
): BurstToolOptions<T, L> {
  const { values } = parseArgs({
    args,
    options: {
      members: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: String(defaultRounds) },
      burst: { type: 'string', default: '10' },
      forms: { type: 'string', default: forms.join(',') },
      layers: { type: 'string' },
    },
  })
  return {
    members: positiveOption('members', values.members),
    rounds: positiveOption('rounds', values.rounds),
    burst: positiveOption('burst', values.burst),
    forms: listOption('forms', values.forms, forms),
    layers: layerList(values.layers, layers),
  }
}

/** `--layers` as `burstToolOptions()` takes it: refused by a tool without layers. */
function layerList<L extends string>(value: string | undefined, layers: readonly L[]): L[] {
  if (layers.length > 0) return listOption('layers', value ?? (layers[0] as L), layers)
  if (value !== undefined)
    throw new RangeError(`This tool takes no --layers, got ${JSON.stringify(value)}.`)
  return []
}
