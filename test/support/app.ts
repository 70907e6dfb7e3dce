import { Writable } from 'node:stream';
import { LogHub } from '../../lib/log.js';

export interface CapturedLogs extends LogHub {
  readonly lines: string[];
}

/**
 * Logs for in-process apps under test: kept in memory (tests read them, e.g. for secrets), and
 * echoed to stderr when TEST_LOGS=1.
 */
export function harnessLogs(): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      if (process.env.TEST_LOGS === '1') process.stderr.write(chunk);
      done();
    },
  });
  return Object.assign(new LogHub({ destination }), { lines });
}
