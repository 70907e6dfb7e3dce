import assert from 'node:assert/strict';
import { test } from 'node:test';
import { continueOfHead } from './list-head.js';

const TOKEN = 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NjA4NDl9';

test('a list head names its continue token, says when there is none, or says nothing', () => {
  const cases: [string, string, string | null | undefined][] = [
    [
      'kube-apiserver, compact',
      `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"60849","continue":"${TOKEN}","remainingItemCount":29998},"items":[{"metadata":`,
      TOKEN,
    ],
    [
      'kube-apiserver, pretty (as curl gets it)',
      `{\n  "kind": "PodList",\n  "apiVersion": "v1",\n  "metadata": {\n    "resourceVersion": "1",\n    "continue": "${TOKEN}"\n  },\n  "items": [`,
      TOKEN,
    ],
    [
      'the last page',
      '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[',
      null,
    ],
    [
      'an empty token',
      '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":""},"items":[',
      null,
    ],
    ['metadata first, no kind', `{"metadata":{"continue":"${TOKEN}"},"items":[`, TOKEN],
    [
      'the head cut inside the token',
      '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"eyJ2Ij',
      undefined,
    ],
    [
      'items before metadata',
      `{"kind":"PodList","apiVersion":"v1","items":[],"metadata":{"continue":"${TOKEN}"}}`,
      undefined,
    ],
    [
      'a nested object in metadata',
      `{"kind":"PodList","metadata":{"x":{"continue":"${TOKEN}"}},"items":[`,
      undefined,
    ],
    ['a token that is not a string', '{"kind":"PodList","metadata":{"continue":7},"items":[', undefined],
    ['metadata that is not JSON', '{"kind":"PodList","metadata":{"continue":"a",},"items":[', undefined],
    ['an escaped kind', '{"kind":"Pod\\"List","metadata":{"continue":"a"},"items":[', undefined],
    [
      'a Status, not a list',
      '{"kind":"Status","apiVersion":"v1","status":"Failure","metadata":{}}',
      undefined,
    ],
    ['not JSON', '<html>bad gateway</html>', undefined],
    ['nothing yet', '', undefined],
  ];
  for (const [what, head, expected] of cases) assert.equal(continueOfHead(head), expected, what);
});

// Heads as long as KubeClient.listPage reads (LIST_HEAD_LIMIT), shaped to make a backtracking match slow.
test('a hostile head says nothing', () => {
  for (const head of [
    `{${'"kind":"x",'.repeat(6000)}`,
    `{"metadata":{${'"a":"b",'.repeat(8000)}`,
    `{"kind":"${'\\'.repeat(64 * 1024)}`,
  ]) {
    assert.equal(continueOfHead(head), undefined);
  }
});
