/**
 * The shard of an object is kube-state-metrics' (pkg/sharding): FNV-1a 64 of the UID, then
 * go-jump's Hash. Expected values printed by Go with hash/fnv and github.com/dgryski/go-jump.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv64a, jumpHash, shardOf } from './shard.js';

test('fnv64a and jump hash give what Go gives', () => {
  const cases: [string, bigint, number, number, number, number][] = [
    ['', 14695981039346656037n, 1, 1, 1, 266],
    ['a', 12638187200555641996n, 1, 2, 2, 163],
    ['3f1c1a52-7d7e-4c55-9c4b-3b0a0f6b7e11', 12187251438318200791n, 1, 1, 3, 133],
    ['ünï', 9513401892590210646n, 0, 0, 5, 641],
    ['0000', 14027822208731348789n, 0, 0, 4, 267],
  ];
  for (const [uid, hash, of2, of3, of7, of1000] of cases) {
    assert.equal(fnv64a(uid), hash, uid);
    assert.deepEqual(
      [2, 3, 7, 1000].map((buckets) => jumpHash(hash, buckets)),
      [of2, of3, of7, of1000],
      uid,
    );
  }
});

test('one shard holds everything; shards are balanced and move little when one is added', () => {
  const uids = Array.from({ length: 3000 }, (_, index) => `uid-${index}`);
  assert.ok(uids.every((uid) => shardOf(uid, 1) === 0));
  const counts = [0, 0, 0];
  for (const uid of uids) counts[shardOf(uid, 3)] = (counts[shardOf(uid, 3)] ?? 0) + 1;
  for (const count of counts) assert.ok(count > 900 && count < 1100, `balanced: ${counts}`);
  const moved = uids.filter((uid) => shardOf(uid, 3) !== shardOf(uid, 4)).length;
  // Jump hashing moves about 1/4 of the objects from 3 shards to 4, not most of them.
  assert.ok(moved > 600 && moved < 900, `moved ${moved}`);
});
