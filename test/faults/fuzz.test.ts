/**
 * Fuzzing the parsers that read what users, API objects and programs hand us: random inputs
 * (fast-check, a fixed seed so a failure reproduces) may only ever produce a value or the
 * parser's own documented error, and every run ends (each test has a time limit).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { evaluatePath, PathError, parsePath } from '../../instruments/crds/path.js';
import {
  classifyPullFailure,
  FAILURE_WAITING_REASONS,
  pulledSeconds,
} from '../../instruments/imagepull/reasons.js';
import { isPublicRegistry, registryOf } from '../../instruments/imagepull/reference.js';
import { parseVgsReport } from '../../instruments/lvm/vgs.js';
import { envLeaves } from '../../lib/config/env.js';
import { buildConfig, ConfigError, parseYaml } from '../../lib/config/load.js';
import { configSchema } from '../../lib/config/schema.js';

const SEED = 20261125;
const RUNS = { seed: SEED, numRuns: 2000 };
const LIMIT = { timeout: 60_000 };

/** Runs `fn`; an error that is not an instance of `allowed` fails the property. */
function onlyThrows(allowed: new (...args: never[]) => Error, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof allowed)) throw error;
  }
}

/** YAML-looking text: keys of our schema, indentation, flow collections, anchors, tags, junk. */
const yamlText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'server:',
        '  address: ":9090"',
        'collectors:',
        '  zombie:',
        '    checkInterval: 10s',
        '    checkInterval: soon',
        '  domain:',
        '    domains: [a.com, b.com]',
        '  crds:',
        '    crds: [{name: x, gvr: {version: v1, resource: pods}, metrics: [{type: gauge, name: m, path: "spec[0"}]}]',
        'enabledCollectors: [zombie, nope]',
        'otlp: {enabled: true, endpoint: "ftp://x"}',
        'leaderElection: {leaseDuration: 1s, renewDeadline: 2s}',
        '&a [1, *a]',
        '!!binary ZmFrZQ==',
        '? complex key',
        '- item',
        '"unterminated',
        '{',
        '}',
        '---',
        '...',
        '\t tab indented: 1',
        'key: ${env:SECRET}',
        'key: $${env:X}',
      ),
      fc.string(),
    ),
    { maxLength: 12 },
  )
  .map((lines) => lines.join('\n'));

const envNames = envLeaves(configSchema).map((leaf) => leaf.envName);

test('config: random YAML, JSON and environment give a config or a ConfigError, nothing else', LIMIT, () => {
  fc.assert(
    fc.property(
      fc.oneof(
        yamlText,
        fc.jsonValue().map((value) => JSON.stringify(value)),
        fc.string(),
      ),
      fc.dictionary(
        fc.constantFrom(...envNames, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS'),
        fc.string(),
      ),
      (text, env) => {
        onlyThrows(ConfigError, () => buildConfig(parseYaml(text, 'fuzz.yaml'), env));
      },
    ),
    RUNS,
  );
});

test(
  'crds paths: parsing gives a path or a PathError; evaluating any path on any object never throws',
  LIMIT,
  () => {
    const pathText = fc.oneof(
      fc.string(),
      fc
        .array(
          fc.constantFrom(
            'spec',
            '.',
            'a\\.b',
            '["x.y"]',
            "['q']",
            '[0]',
            '[-1]',
            '[',
            ']',
            '"',
            '\\',
            'status',
            '[99999999999999999999]',
          ),
          {
            maxLength: 8,
          },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(pathText, fc.jsonValue(), (text, object) => {
        let path: ReturnType<typeof parsePath> | undefined;
        onlyThrows(PathError, () => {
          path = parsePath(text);
        });
        if (path) evaluatePath(object, path);
      }),
      RUNS,
    );
  },
);

test(
  'vgs reports: random text and report-shaped JSON give volume groups or a "vgs report" error',
  LIMIT,
  () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.jsonValue(),
    );
    const reportShaped = fc
      .array(
        fc.record(
          {
            vg: fc.oneof(
              fc.array(
                fc.dictionary(
                  fc.constantFrom('vg_name', 'vg_size', 'vg_free', 'vg_mda_size', 'vg_mda_free', 'other'),
                  field,
                ),
              ),
              field,
            ),
            log: fc.array(fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
      )
      .map((report) => JSON.stringify({ report }));
    fc.assert(
      fc.property(
        fc.oneof(
          reportShaped,
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            const groups = parseVgsReport(text);
            for (const group of groups) {
              assert.ok(Number.isSafeInteger(group.sizeBytes) && Number.isSafeInteger(group.freeBytes));
            }
          } catch (error) {
            assert.match((error as Error).message, /^vgs report/);
          }
        },
      ),
      RUNS,
    );
  },
);

test(
  'image references: any string gives a registry label and an allow-list answer, never an exception',
  LIMIT,
  () => {
    const referenceLike = fc
      .array(
        fc.constantFrom(
          'docker.io',
          'localhost',
          ':5000',
          '/',
          'library',
          'nginx',
          ':',
          '@',
          'sha256:',
          'ab',
          '.',
          '_',
          '-',
          ' ',
          'Ü',
        ),
        {
          maxLength: 10,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(referenceLike, fc.string()), (text) => {
        const registry = registryOf(text);
        assert.ok(registry !== '' && !registry.includes('/'), registry);
        assert.equal(typeof isPublicRegistry(text), 'boolean');
      }),
      RUNS,
    );
  },
);

test(
  'kubelet messages: every waiting reason and message gives a lower-case reason; pull times are numbers',
  LIMIT,
  () => {
    const reason = fc.oneof(fc.constantFrom(...FAILURE_WAITING_REASONS), fc.string());
    const message = fc.oneof(
      fc.string({ maxLength: 2000 }),
      fc
        .array(
          fc.constantFrom(
            'Successfully pulled image "x" in ',
            '1',
            '.5',
            'ms',
            'm',
            's',
            'h',
            'µs',
            ' in ',
            '429',
            'EOF',
            'x509:',
            ' ',
          ),
          {
            maxLength: 40,
          },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(reason, message, (waitingReason, text) => {
        const classified = classifyPullFailure(waitingReason, text);
        assert.equal(classified, classified.toLowerCase());
        const seconds = pulledSeconds(text);
        if (seconds !== undefined)
          assert.ok(Number.isFinite(seconds) && seconds >= 0, `${seconds} from ${text}`);
      }),
      RUNS,
    );
  },
);
