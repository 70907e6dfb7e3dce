/**
 * The shipped alerts (deploy/alerts, rendered from the chart's templates/_alerts.tpl): `promtool check
 * rules` clean, `promtool test rules` green, every alert (each severity of it) both firing and quiet in those tests, every metric and label
 * they name one this project exports, and a runbook section for each in deploy/alerts/README.md.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { metricCatalog } from '../lib/telemetry/catalog.js';
import { runPromtool } from './support/promtool.js';

const dir = fileURLToPath(new URL('../deploy/alerts', import.meta.url));
const rulesFile = join(dir, 'sealos-state-metrics.rules.yaml');
const testFiles = readdirSync(join(dir, 'tests'))
  .filter((name) => name.endsWith('.test.yaml'))
  .map((name) => join(dir, 'tests', name));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: Record<string, string>;
}
const rules: Rule[] = (
  parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

/** promtool's output; a non-zero exit fails the test with it. */
function promtool(args: readonly string[]): string {
  const result = runPromtool(args);
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${output}`);
  return output;
}

test('promtool check rules accepts the rules file', () => {
  assert.match(promtool(['check', 'rules', rulesFile]), new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('promtool test rules: every shipped alert passes its unit tests', () => {
  assert.ok(testFiles.length > 0);
  promtool(['test', 'rules', ...testFiles]);
});

test('every alert, at each severity, is tested both firing and not firing', () => {
  const firing = new Set<string>();
  const quiet = new Set<string>();
  for (const file of testFiles) {
    const document = parse(readFileSync(file, 'utf8')) as {
      tests: {
        alert_rule_test?: { alertname: string; exp_alerts: { exp_labels: { severity: string } }[] }[];
      }[];
    };
    for (const check of document.tests.flatMap((one) => one.alert_rule_test ?? [])) {
      if (check.exp_alerts.length === 0) quiet.add(check.alertname);
      for (const alert of check.exp_alerts) firing.add(`${check.alertname}/${alert.exp_labels.severity}`);
    }
  }
  for (const rule of rules) {
    assert.ok(
      firing.has(`${rule.alert}/${rule.labels.severity}`),
      `${rule.alert} (${rule.labels.severity}) never fires in a test`,
    );
    assert.ok(quiet.has(rule.alert), `${rule.alert} is never tested quiet`);
  }
});

test('alerts name only metrics and labels this project exports', () => {
  const catalog = new Map(metricCatalog().map((entry) => [entry.name, entry]));
  for (const rule of rules) {
    const names = [...rule.expr.matchAll(/\b(?:sealos|state_metric)_[a-z0-9_]+/g)].map((match) => match[0]);
    assert.ok(names.length > 0, `${rule.alert}: no metric in its expression`);
    const labels = new Set(['instance', 'job']);
    for (const name of names) {
      const entry = catalog.get(name);
      assert.ok(entry, `${rule.alert}: ${name} is not an exported metric`);
      for (const label of entry.labels) labels.add(label);
    }
    const used = [
      ...[...rule.expr.matchAll(/\{([^}]*)\}/g)].flatMap((match) =>
        [...(match[1] ?? '').matchAll(/([a-z_]+)\s*[!=]~?/g)].map((pair) => pair[1]),
      ),
      ...[...rule.expr.matchAll(/\b(?:on|ignoring|by|without)\s*\(([^)]*)\)/g)].flatMap((match) =>
        (match[1] ?? '').split(',').map((label) => label.trim()),
      ),
      ...Object.values(rule.annotations).flatMap((text) =>
        [...text.matchAll(/\$labels\.([a-z_]+)/g)].map((match) => match[1]),
      ),
    ].filter((label) => label !== '' && label !== undefined);
    for (const label of used)
      assert.ok(labels.has(label as string), `${rule.alert}: no metric of it has the label ${label}`);
  }
});

test('every alert has its runbook section in deploy/alerts/README.md', () => {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  for (const alert of new Set(rules.map((rule) => rule.alert))) {
    assert.match(readme, new RegExp(`^### ${alert}$`, 'm'), `no runbook section for ${alert}`);
  }
});
