import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ListItemSplitter } from './list-items.js';

/** `body` fed in pieces cut at `cuts`: the items handed on and the rest as `end` parses it. */
function split(body: string, cuts: number[] = []): { items: unknown[]; rest: Record<string, unknown> } {
  const bytes = Buffer.from(body);
  const items: unknown[] = [];
  const splitter = new ListItemSplitter((item) => items.push(item));
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    splitter.push(bytes.subarray(at, cut));
    at = cut;
  }
  splitter.push(bytes.subarray(at));
  const rest = splitter.end<Record<string, unknown>>();
  return { items, rest };
}

/** What JSON.parse makes of the body, with the items the splitter handed on put back. */
function rejoined(body: string, cuts: number[] = []): unknown {
  const { items, rest } = split(body, cuts);
  if (!('items' in rest) || (Array.isArray(rest.items) && rest.items.length === 0 && items.length > 0)) {
    return { ...rest, items };
  }
  return { ...rest, items: [...items, ...(rest.items as unknown[])] };
}

test('a list body gives each item on its own and the rest without them', () => {
  const cases: [string, string, number][] = [
    [
      'kube-apiserver',
      '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"x"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}',
      2,
    ],
    [
      'pretty',
      '{\n  "kind": "PodList",\n  "items": [\n    {"a": [1, {"b": "]}"}]},\n    {"c": "\\"}"}\n  ],\n  "metadata": {}\n}',
      2,
    ],
    ['no items', '{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[]}', 0],
    ['scalars and nulls', '{"items":[null, 1 ,"s",true,[2]]}', 5],
    ['an items key deeper down stays where it is', '{"metadata":{"items":[1,2]},"items":[{"items":[3]}]}', 1],
    ['a value named items is not the key', '{"kind":"items","x":["items"],"items":[{}]}', 1],
    ['a longer key that starts with items', '{"itemsitems":[1],"items":[{}]}', 1],
    ['escapes and multibyte', '{"items":[{"name":"\\u00e9\\\\","ü":"日本"},{"q":"\\\\\\""}]}', 2],
    ['no items key at all', '{"kind":"Status","status":"Success"}', 0],
  ];
  for (const [what, body, count] of cases) {
    const whole = JSON.parse(body) as Record<string, unknown>;
    const { items, rest } = split(body);
    assert.equal(items.length, count, what);
    assert.deepEqual(rejoined(body), 'items' in whole ? whole : { ...whole, items: [] }, what);
    if (count > 0) assert.deepEqual(rest.items, [], what);
  }
});

test('any JSON list, cut into pieces anywhere, comes out as JSON.parse reads it whole', () => {
  const list = fc.record({
    kind: fc.string(),
    apiVersion: fc.string(),
    metadata: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    items: fc.array(fc.jsonValue(), { maxLength: 12 }),
  });
  fc.assert(
    fc.property(list, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom(0, 2), (value, cuts, indent) => {
      const body = JSON.stringify(value, null, indent);
      const length = Buffer.byteLength(body);
      const at = cuts.map((c) => c % (length + 1));
      assert.deepEqual(rejoined(body, at), JSON.parse(body));
      assert.equal(split(body, at).items.length, value.items.length);
    }),
    { numRuns: 500 },
  );
});

test('any JSON value that is not a list comes out whole', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const body = JSON.stringify(value);
      const { items, rest } = split(body);
      const whole = JSON.parse(body);
      const isList =
        typeof whole === 'object' && whole !== null && !Array.isArray(whole) && Array.isArray(whole.items);
      if (!isList) {
        assert.equal(items.length, 0);
        assert.deepEqual(rest, whole);
      }
    }),
    { numRuns: 500 },
  );
});

test('a body cut short, or not JSON, is an error, never a silent partial list', () => {
  const body =
    '{"kind":"PodList","metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}';
  for (let cut = 1; cut < body.length; cut++) {
    assert.throws(() => split(body.slice(0, cut)), SyntaxError, `cut at ${cut}`);
  }
  for (const bad of [
    '<html>bad gateway</html>',
    '{"items":[{"a":1},{"a":}]}',
    '{"items":[{"a":1}]',
    '{"items":[1 2]}',
  ]) {
    assert.throws(() => split(bad), SyntaxError, bad);
  }
});

test('a body cut at every byte, escapes and all, reads as it does whole', () => {
  const body = JSON.stringify({
    kind: 'Pod\\"List',
    items: [{ a: 'x\\', b: '\\\\"', c: '"}]', d: 'é\u2028日' }, 'items', ['\\'], { '"items"': [] }],
    metadata: { continue: 'a\\"b' },
  });
  const whole = JSON.parse(body);
  for (let cut = 0; cut <= Buffer.byteLength(body); cut++) {
    assert.deepEqual(rejoined(body, [cut]), whole, `cut at ${cut}`);
    assert.deepEqual(rejoined(body, [cut, cut + 1, cut + 2]), whole, `cut at ${cut}, ${cut + 1}, ${cut + 2}`);
    assert.deepEqual(rejoined(body, [cut, cut, cut + 1]), whole, `cut at ${cut}, an empty piece, ${cut + 1}`);
  }
});
