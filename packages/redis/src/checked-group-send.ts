import type { Redis } from 'ioredis'
import { CHECKED_GROUP_SEND_SCRIPT, runScript } from './lua.js'

/**
 * Groups whose last send found this many members or more are read with a snapshot, so that
 * their next sends can skip the read (`checkedGroupSend`); smaller groups are read every time,
 * which costs little, and leave no snapshot in Redis.
 */
export const SNAPSHOT_MIN_MEMBERS = 32

/** A snapshot lives this long after the send that last used it, in seconds. */
export const SNAPSHOT_TTL_SECONDS = 60

/**
 * The key of one snapshot of a group's members, `<prefix>:groupplan:<client>:<n>:<group>`,
 * which no channel or group key can be (names hold no `:`). Each read takes a new one (`n`
 * counts them), so a send checks the group against the very members its plan was built from,
 * even while another send of the same process reads the group again.
 */
export function snapshotKey(
  prefix: string,
  clientPrefix: string,
  n: number,
  group: string,
): string {
  return `${prefix}:groupplan:${clientPrefix}:${n}:${group}`
}

/**
 * The group read of a send (trim the memberships older than `cutoff`, then `ZRANGE`) that
 * also copies the members into `snapshot`, in one transaction, so the members returned are
 * exactly the snapshot's; `previous`, the snapshot this one replaces, is deleted.
 */
export async function readGroupWithSnapshot(
  client: Redis,
  key: string,
  snapshot: string,
  previous: string | undefined,
  cutoff: number,
): Promise<Buffer[]> {
  const transaction = client.multi()
  if (previous !== undefined) transaction.del(previous)
  const replies = await transaction
    .zremrangebyscore(key, 0, cutoff)
    .zrangestore(snapshot, key, 0, -1)
    .expire(snapshot, SNAPSHOT_TTL_SECONDS)
    .zrangeBuffer(key, 0, -1)
    .exec()
  const failed = replies?.find(([error]) => error !== null)
  if (replies === null || failed !== undefined) {
    throw failed?.[0] ?? new Error(`The read of ${JSON.stringify(key)} was aborted.`)
  }
  return replies.at(-1)?.[1] as Buffer[]
}

/** A group send that skips the group read: what `checkedGroupSend` needs. */
export interface CheckedSend {
  keys: { group: string; snapshot: string; queues: readonly string[] }
  /** How many members the snapshot (and the plan of the queues) has. */
  members: number
  /** Memberships added at or before this time (seconds) have expired. */
  groupCutoff: number
  /** Queued messages sent at or before this time (seconds) have expired. */
  queueCutoff: number
  /** The queues' messages, then their capacities, the score and the expiry in seconds. */
  storeArgs: readonly (Buffer | number)[]
}

/**
 * Stores a group message with the queues planned from the snapshot's members when the group
 * still has exactly those members (`CHECKED_GROUP_SEND_SCRIPT`): one round trip, no group
 * read. Returns how many queues were full, or null when the members changed (nothing stored).
 */
export async function checkedGroupSend(client: Redis, send: CheckedSend): Promise<number | null> {
  const { keys } = send
  const full = Number(
    await runScript(
      client,
      CHECKED_GROUP_SEND_SCRIPT,
      [keys.group, keys.snapshot, ...keys.queues],
      [send.groupCutoff, send.members, SNAPSHOT_TTL_SECONDS, send.queueCutoff, ...send.storeArgs],
    ),
  )
  return full < 0 ? null : full
}

/**
 * Whether a Redis error says the server lacks a command the snapshot path uses (`ZINTERCARD`
 * came with Redis 7.0, `ZRANGESTORE` with 6.2), or refuses it: the layer then reads every
 * group instead.
 */
export function snapshotsUnsupported(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ReplyError' &&
    /unknown (redis )?command|EXECABORT|NOPERM/i.test(error.message)
  )
}
