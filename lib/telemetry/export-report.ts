/**
 * What becomes of OTLP export outcomes: counts for the self-metric, and log lines that tell an
 * operator the push is failing without writing one per request during a long outage: the first
 * failure, then one a minute while failures go on, and one line when exports succeed again.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { safeErrorLine } from '../config/redact.js';
import type { Clock, Logger } from '../instrument.js';
import type { ExportReport } from './otlp-push.js';
import type { ExportRecord } from './self-metrics.js';

const FAILURE_LOG_INTERVAL_MS = 60_000;

export function exportReporter(
  record: ExportRecord,
  logger: Logger,
  clock: Clock,
  /** Values that must not reach a log line (the OTLP headers carry tokens). */
  secrets: readonly string[],
): ExportReport {
  return (result: ExportResult) => {
    if (result.code === ExportResultCode.SUCCESS) {
      record.successes += 1;
      if (record.failuresInARow > 0) {
        logger.info({ failedRequests: record.failuresInARow }, 'OTLP export succeeds again');
      }
      record.failuresInARow = 0;
      return;
    }
    record.failures += 1;
    record.failuresInARow += 1;
    const now = clock.now();
    if (record.failuresInARow === 1 || now - record.lastFailureLogMs >= FAILURE_LOG_INTERVAL_MS) {
      record.lastFailureLogMs = now;
      logger.warn(
        { err: safeErrorLine(result.error, secrets), failedRequests: record.failuresInARow },
        'OTLP export failed; the next interval sends the current state again',
      );
    }
  };
}
