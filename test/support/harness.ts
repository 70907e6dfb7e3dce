/**
 * Test harness: an instrument context on a real TelemetryPipeline, scraping, and golden files.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ClusterAccess, Identity, InstrumentContext } from '../../lib/instrument.js';
import { LogHub } from '../../lib/log.js';
import type { ExpositionFormat } from '../../lib/telemetry/exposition.js';
import { TelemetryPipeline } from '../../lib/telemetry/pipeline.js';
import {
  CollectionRecords,
  ExportRecord,
  observeSelfMetrics,
  ReloadRecord,
} from '../../lib/telemetry/self-metrics.js';

export const testIdentity: Identity = {
  instance: 'test-0',
  nodeName: 'node-a',
  podName: 'test-0',
  podNamespace: 'monitoring',
};

export function quietLogs(): LogHub {
  return new LogHub({ level: 'silent' });
}

export interface Harness {
  readonly pipeline: TelemetryPipeline;
  readonly collections: CollectionRecords;
  context(collector: string): InstrumentContext;
  scrape(format?: ExpositionFormat): Promise<string>;
}

export function harness(namespace = 'sealos', cluster?: ClusterAccess): Harness {
  const pipeline = new TelemetryPipeline({
    namespace,
    resource: resourceFromAttributes({ 'service.name': 'test' }),
  });
  const collections = new CollectionRecords();
  // As with OTLP push on, so every self-metric is there.
  observeSelfMetrics(
    pipeline.sink,
    testIdentity.instance,
    collections,
    new ReloadRecord(),
    new ExportRecord(),
  );
  const logs = quietLogs();
  return {
    pipeline,
    collections,
    context: (collector) => ({
      metrics: pipeline.sink,
      cluster,
      logger: logs.child({ collector }),
      identity: testIdentity,
      clock: { now: () => Date.now() },
      recordCollection: (outcome) => collections.record(collector, outcome, Date.now()),
    }),
    scrape: async (format = 'text') => (await pipeline.scrape(format)).body,
  };
}

/** Sample lines only, sorted: the stable part of an exposition for comparisons. */
export function samples(exposition: string, prefix = ''): string[] {
  return exposition
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#') && line.startsWith(prefix))
    .sort();
}

/** What a golden holds in place of a value that is measured (a duration, seconds to a moving date). */
export const MEASURED = '<measured>';

/**
 * Sample lines with the values of the `measured` metrics replaced by MEASURED: their series
 * (names, labels, which exist) stay in the golden, their values cannot.
 */
export function maskMeasured(lines: readonly string[], measured: readonly string[]): string[] {
  return lines.map((line) => {
    const name = line.slice(0, line.search(/[{ ]/));
    return measured.includes(name) ? `${line.slice(0, line.lastIndexOf(' '))} ${MEASURED}` : line;
  });
}

/** Compares with a golden file; `UPDATE_GOLDEN=1 npm test` rewrites it so the change shows as a diff. */
export async function assertGolden(actual: string, goldenUrl: URL): Promise<void> {
  if (process.env.UPDATE_GOLDEN === '1') {
    await writeFile(goldenUrl, actual);
    return;
  }
  let expected: string;
  try {
    expected = await readFile(goldenUrl, 'utf8');
  } catch {
    assert.fail(`golden file ${goldenUrl.pathname} is missing; run UPDATE_GOLDEN=1 npm test and review it`);
  }
  assert.equal(actual, expected);
}
