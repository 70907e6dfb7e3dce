/**
 * A declaration types its points' labels: the compiler refuses a misspelt or a missing label
 * (review 2.1), and a declaration widened to MetricDeclaration (crds' configured metrics) takes
 * any. Checked by running the project's compiler over a small program.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const program = (body: string) => `
import type { MetricDeclaration, MetricSink } from ${JSON.stringify(join(root, 'lib/instrument.ts'))};
const restarts = {
  name: 'restarts',
  kind: 'gauge',
  unit: '{restart}',
  help: 'h',
  labels: ['namespace', 'pod'],
} as const satisfies MetricDeclaration;
export function register(sink: MetricSink): void {
${body}
}
`;

function compile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-typed-labels-'));
  try {
    const file = join(dir, 'program.ts');
    writeFileSync(file, program(body));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          allowImportingTsExtensions: true,
          types: [],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: [file],
      }),
    );
    const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    return tsc.stdout + tsc.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('labels are checked against the declaration at compile time', () => {
  const cases: Array<[string, string, RegExp | undefined]> = [
    [
      'declared labels',
      "sink.observe(restarts, (observe) => observe(1, { namespace: 'n', pod: 'p' }));",
      undefined,
    ],
    [
      'a misspelt label',
      "sink.observe(restarts, (observe) => observe(1, { namespace: 'n', pdo: 'p' }));",
      /'pdo' does not exist|Did you mean/,
    ],
    [
      'a missing label',
      "sink.observe(restarts, (observe) => observe(1, { namespace: 'n' }));",
      /'pod' is missing/,
    ],
    [
      'observeObjects',
      "sink.observeObjects(restarts, () => new Map([['k', 1]]), (i, observe) => observe(i, { namespace: 'n', podd: 'p' }));",
      /'podd' does not exist|Did you mean/,
    ],
    [
      'a widened declaration',
      "sink.observe(restarts as MetricDeclaration, (observe) => observe(1, { anything: 'x' }));",
      undefined,
    ],
  ];
  for (const [name, body, expected] of cases) {
    const output = compile(body);
    if (expected) assert.match(output, expected, name);
    else assert.equal(output.trim(), '', `${name}: ${output}`);
  }
});
