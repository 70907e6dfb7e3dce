import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('parses Go-style durations to milliseconds', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['2.5s', 2500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1m0s', 60_000],
    ['100us', 0.1],
    [' 10s ', 10_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('rejects what is not a duration, saying what was given', () => {
  for (const text of ['', '30', 'soon', '5 m', '1d', '-5s', 's', '1h30']) {
    const result = parseDuration(text);
    assert.equal(typeof result, 'object', text);
    if (text !== '')
      assert.match(
        (result as { error: string }).error,
        new RegExp(`"${text.replace(/[-\\^$*+?.()|[\]{}]/g, '\\$&')}"`),
      );
  }
});

test('formats back to the compact form', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(30_000), '30s');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(90_500), '1m30.5s');
});
