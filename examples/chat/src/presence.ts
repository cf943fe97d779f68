import type { Member } from './protocol.js'

interface Entry {
  member: Member
  lastSeenMs: number
}

/** What `Roster.upsert()` did: a new member, a changed one, or nothing new. */
export type UpsertResult = 'added' | 'changed' | 'unchanged'

/**
 * One consumer's view of who is in its room, built from presence messages on the channel
 * layer: a joiner broadcasts `presence.hello`, members answer its channel with `presence.here`,
 * everyone repeats `presence.heartbeat`, leavers broadcast `presence.goodbye`. A member not
 * heard from for `timeoutMs` (its process crashed, or its goodbye was lost) is expired.
 * Bounded: at most `maxMembers` entries, the stalest dropped first.
 */
export class Roster {
  readonly #timeoutMs: number
  readonly #maxMembers: number
  readonly #entries = new Map<string, Entry>()

  constructor(timeoutMs: number, maxMembers = 1000) {
    this.#timeoutMs = timeoutMs
    this.#maxMembers = maxMembers
  }

  /** Records that a member was heard from at `nowMs`. */
  upsert(member: Member, nowMs: number): UpsertResult {
    const known = this.#entries.get(member.id)
    this.#entries.delete(member.id)
    this.#entries.set(member.id, { member: { ...member }, lastSeenMs: nowMs })
    if (this.#entries.size > this.#maxMembers) {
      const [stalest] = this.#entries.keys()
      if (stalest !== undefined) this.#entries.delete(stalest)
    }
    if (known === undefined) return 'added'
    return known.member.nickname === member.nickname ? 'unchanged' : 'changed'
  }

  /** Forgets a member; returns it, or null if it was not known. */
  remove(id: string): Member | null {
    const known = this.#entries.get(id)
    if (known === undefined) return null
    this.#entries.delete(id)
    return known.member
  }

  /** Forgets and returns every member (but `keepId`) not heard from since `nowMs - timeoutMs`. */
  expire(nowMs: number, keepId: string): Member[] {
    const expired: Member[] = []
    for (const [id, entry] of this.#entries) {
      if (id !== keepId && nowMs - entry.lastSeenMs > this.#timeoutMs) {
        this.#entries.delete(id)
        expired.push(entry.member)
      }
    }
    return expired
  }

  /** True if the member is known. */
  has(id: string): boolean {
    return this.#entries.has(id)
  }

  /** The members, sorted by nickname (case-insensitively), then id. */
  list(): Member[] {
    return [...this.#entries.values()]
      .map((entry) => ({ ...entry.member }))
      .sort(
        (a, b) =>
          a.nickname.localeCompare(b.nickname, 'en', { sensitivity: 'base' }) ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
  }
}
