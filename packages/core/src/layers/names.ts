/**
 * Channel and group name rules. Mirrors `channels.layers.BaseChannelLayer`'s validators,
 * without Python's quirks: ASCII only, fully anchored, no trailing newline.
 */
import { quoteValue } from '../quote-value.js'

const CHANNEL_NAME = /^[a-zA-Z\d\-_.]+(![\d\w\-_.]*)?$/
const GROUP_NAME = /^[a-zA-Z\d\-_.]+$/
const MAX_NAME_LENGTH = 100

function invalidName(kind: 'Channel' | 'Group', name: unknown): TypeError {
  return new TypeError(
    `${kind} name must be a valid unicode string with length < ${MAX_NAME_LENGTH} containing ` +
      `only ASCII alphanumerics, hyphens, underscores, or periods, not ${quoteValue(name)}.`,
  )
}

/** Returns the name if it is a valid channel name (`[A-Za-z0-9-_.]+`, optionally `!suffix`), else throws TypeError. */
export function requireValidChannelName(name: unknown): string {
  if (typeof name !== 'string' || name.length >= MAX_NAME_LENGTH || !CHANNEL_NAME.test(name)) {
    throw invalidName('Channel', name)
  }
  return name
}

/** Returns the name if it is a valid group name (`[A-Za-z0-9-_.]+`), else throws TypeError. */
export function requireValidGroupName(name: unknown): string {
  if (typeof name !== 'string' || name.length >= MAX_NAME_LENGTH || !GROUP_NAME.test(name)) {
    throw invalidName('Group', name)
  }
  return name
}

/** The non-local part of a process-local channel name (`"a.b!xyz"` -> `"a.b!"`). Mirrors channels_redis' `non_local_name`. */
export function nonLocalName(channel: string): string {
  const bang = channel.indexOf('!')
  return bang === -1 ? channel : channel.slice(0, bang + 1)
}
