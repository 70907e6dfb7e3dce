import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldMatcher, labelMatcher } from './selectors.js';

test('label selectors follow the API server grammar', () => {
  const labels = { app: 'web', tier: 'front', 'app.kubernetes.io/name': 'shop' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=back', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['tier in (front, back)', true],
    ['tier notin (front)', false],
    ['missing notin (x)', true],
    ['app.kubernetes.io/name=shop,app in (web)', true],
  ];
  for (const [selector, expected] of cases) assert.equal(labelMatcher(selector)(labels), expected, selector);
  assert.throws(() => labelMatcher('app=(x'), /unable to parse/);
});

test('field selectors compare dotted paths', () => {
  const pod = {
    metadata: { name: 'p1', namespace: 'default' },
    spec: { nodeName: 'node-a' },
    status: { phase: 'Running' },
  };
  assert.equal(fieldMatcher('spec.nodeName=node-a')(pod), true);
  assert.equal(fieldMatcher('spec.nodeName=node-b')(pod), false);
  assert.equal(fieldMatcher('metadata.namespace!=kube-system,status.phase=Running')(pod), true);
  assert.equal(fieldMatcher('spec.missing=')(pod), true);
});
