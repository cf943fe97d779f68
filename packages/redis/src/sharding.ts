import { crc32 } from 'node:zlib'

/**
 * Picks one of `ringSize` Redis hosts for a key: CRC-32 of its UTF-8 bytes, masked to 12 bits,
 * scaled down to the ring. Mirrors `channels_redis.utils._consistent_hash` exactly, so a Node
 * and a Python process sharing a host list put every key on the same shard.
 */
export function consistentHash(value: string, ringSize: number): number {
  if (!Number.isInteger(ringSize) || ringSize < 1) {
    throw new RangeError(
      `The ring size must be a positive integer, not ${JSON.stringify(ringSize)}.`,
    )
  }
  if (ringSize === 1) return 0
  const bigValue = crc32(Buffer.from(value, 'utf8')) & 0xfff
  // Python: int(bigval / (4096 / float(ring_size))), i.e. float division then truncation.
  return Math.trunc(bigValue / (4096 / ringSize))
}
