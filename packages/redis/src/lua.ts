import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/** A Lua script run with EVALSHA, falling back to EVAL the first time a server lacks it. */
export interface LuaScript {
  readonly source: string
  readonly sha: string
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Moves messages a crashed or cancelled receiver left in `<queue>$inflight` back into the
 * queue (ARGV[1] queue, ARGV[2] backup). Verbatim from channels_redis' `_brpop_with_clean`.
 */
export const CLEANUP_SCRIPT: LuaScript = script(`
            local backed_up = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
            for i = #backed_up, 1, -2 do
                redis.call('ZADD', ARGV[1], backed_up[i], backed_up[i - 1])
            end
            redis.call('DEL', ARGV[2])
        `)

/**
 * Pops up to ARGV[1] messages from a queue only this process reads (KEYS[1]) in one step,
 * keeping them in its `$inflight` (KEYS[2], expiring in ARGV[2] seconds) until the next pop:
 * with ARGV[3] = "1" that pop first moves what `$inflight` holds back into the queue, as
 * channels_redis' cleanup does (nothing was handed over), else it drops it (all was handed
 * over). Returns `[member, score, …]` lowest score first, as ZPOPMIN does.
 */
export const POP_BATCH_SCRIPT: LuaScript = script(`
  if ARGV[3] == '1' then
    local backed_up = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    for i = #backed_up, 1, -2 do
      redis.call('ZADD', KEYS[1], backed_up[i], backed_up[i - 1])
    end
  end
  redis.call('DEL', KEYS[2])
  local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
  if #popped > 0 then
    local scored = {}
    for i = 1, #popped, 2 do
      scored[i] = popped[i + 1]
      scored[i + 1] = popped[i]
    end
    redis.call('ZADD', KEYS[2], unpack(scored))
    redis.call('EXPIRE', KEYS[2], ARGV[2])
  end
  return popped
`)

/**
 * Adds one message per queue key unless the queue is at capacity; returns how many keys were
 * full. KEYS: queues; ARGV: messages, capacities, score, expiry seconds. Verbatim from
 * channels_redis' `group_send`.
 */
export const GROUP_SEND_SCRIPT: LuaScript = script(`
                local over_capacity = 0
                local current_time = ARGV[#ARGV - 1]
                local expiry = ARGV[#ARGV]
                for i=1,#KEYS do
                    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
                        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
                        redis.call('EXPIRE', KEYS[i], expiry)
                    else
                        over_capacity = over_capacity + 1
                    end
                end
                return over_capacity
            `)

/**
 * A group send that skips the group read: trims the group (KEYS[1]) of memberships added at
 * or before ARGV[1], and only if it then has exactly the ARGV[2] members its snapshot
 * (KEYS[2], see `checked-group-send.ts`) has, refreshes the snapshot's expiry (ARGV[3]
 * seconds) and trims and stores as `GROUP_SEND_SCRIPT` does (KEYS[3..]: queues; ARGV[4]: the
 * queues' cutoff; then messages, capacities, score, expiry seconds). Returns how many queues
 * were full, or -1, storing nothing, when the members differ from the snapshot's.
 */
export const CHECKED_GROUP_SEND_SCRIPT: LuaScript = script(`
  redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
  local count = tonumber(ARGV[2])
  if redis.call('ZCARD', KEYS[1]) ~= count or redis.call('ZCARD', KEYS[2]) ~= count
      or redis.call('ZINTERCARD', 2, KEYS[1], KEYS[2]) ~= count then
    return -1
  end
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  local queues = #KEYS - 2
  local current_time = ARGV[#ARGV - 1]
  local expiry = ARGV[#ARGV]
  local over_capacity = 0
  for i = 1, queues do
    local key = KEYS[i + 2]
    redis.call('ZREMRANGEBYSCORE', key, 0, ARGV[4])
    if redis.call('ZCOUNT', key, '-inf', '+inf') < tonumber(ARGV[4 + queues + i]) then
      redis.call('ZADD', key, current_time, ARGV[4 + i])
      redis.call('EXPIRE', key, expiry)
    else
      over_capacity = over_capacity + 1
    end
  end
  return over_capacity
`)

/**
 * channels_redis' `send()` in one atomic step: trim expired messages (score <= ARGV[1]), refuse
 * when the queue holds ARGV[2] messages, else add ARGV[4] at score ARGV[3] and set the key to
 * expire in ARGV[5] seconds. Returns 1 when added, 0 when full. Python sends the same four
 * commands one by one, which lets a queue leak over capacity; the stored data is identical.
 */
export const SEND_SCRIPT: LuaScript = script(`
  redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
  if redis.call('ZCOUNT', KEYS[1], '-inf', '+inf') >= tonumber(ARGV[2]) then
    return 0
  end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
`)

/** Deletes every key matching the pattern ARGV[1], 5000 at a time. Verbatim from channels_redis' `flush`. */
export const FLUSH_SCRIPT: LuaScript = script(`
            local keys = redis.call('keys', ARGV[1])
            for i=1,#keys,5000 do
                redis.call('del', unpack(keys, i, math.min(i+4999, #keys)))
            end
        `)

/** Runs a script by its SHA, loading it with EVAL when the server answers NOSCRIPT. */
export async function runScript(
  client: Redis,
  lua: LuaScript,
  keys: ReadonlyArray<string | Buffer>,
  args: ReadonlyArray<string | Buffer | number>,
): Promise<unknown> {
  try {
    return await client.evalsha(lua.sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error
    return await client.eval(lua.source, keys.length, ...keys, ...args)
  }
}

/** `runScript` for replies that carry binary data: strings come back as Buffers. */
export async function runScriptBuffer(
  client: Redis,
  lua: LuaScript,
  keys: ReadonlyArray<string | Buffer>,
  args: ReadonlyArray<string | Buffer | number>,
): Promise<unknown> {
  try {
    return await client.callBuffer('evalsha', [lua.sha, keys.length, ...keys, ...args])
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error
    return await client.callBuffer('eval', [lua.source, keys.length, ...keys, ...args])
  }
}
