/**
 * Horizontal sharding as kube-state-metrics does it (pkg/sharding): an object belongs to shard
 * `jump(fnv64a(uid), totalShards)` (Lamping and Veach's jump consistent hash, as
 * github.com/dgryski/go-jump computes it), so every object is in exactly one shard's output, the
 * same one kube-state-metrics would put it in, and a change of shard count moves few objects.
 */
const MASK64 = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const JUMP_MULTIPLIER = 2862933555777941757n;

/** FNV-1a, 64 bits, over the UTF-8 bytes of `text` (Go's hash/fnv New64a). */
export function fnv64a(text: string): bigint {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  return hash;
}

/** go-jump's Hash(key, buckets). */
export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key;
  while (j < buckets) {
    b = j;
    k = (k * JUMP_MULTIPLIER + 1n) & MASK64;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

export interface ShardSpec {
  /** Zero-based. */
  readonly shard: number;
  readonly totalShards: number;
}

/** The shard an object with this UID belongs to. */
export function shardOf(uid: string, totalShards: number): number {
  return totalShards <= 1 ? 0 : jumpHash(fnv64a(uid), totalShards);
}

/** `shard/totalShards`, or undefined when there is one shard (nothing to split). */
export function shardName(spec: ShardSpec): string | undefined {
  return spec.totalShards > 1 ? `${spec.shard}/${spec.totalShards}` : undefined;
}
