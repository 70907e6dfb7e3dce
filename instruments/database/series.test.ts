/** The database instrument's series for check results, as the original's exporter writes them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesOf } from '../../test/support/series.js';
import type { CheckResult } from './check.js';
import { databaseCheckError, databaseConnectivity, databaseResponseTime } from './metrics.js';
import { checkError, connectivity, responseTime } from './series.js';

const up: CheckResult = {
  namespace: 'ns-a',
  name: 'pg',
  type: 'postgresql',
  connected: true,
  seconds: 0.0125,
};
const refused: CheckResult = {
  namespace: 'ns-a',
  name: 'my',
  type: 'mysql',
  connected: false,
  reason: 'refused',
  seconds: 0.002,
};
const stopped: CheckResult = {
  namespace: 'ns-b',
  name: 'rd',
  type: 'redis',
  connected: false,
  reason: 'stopped',
};
const quoted: CheckResult = {
  namespace: 'ns-"q"',
  name: 'a\\b',
  type: 'mongodb',
  connected: true,
  seconds: 1,
};

test('connectivity, response time and check error per result', async () => {
  const cases: Array<{ what: string; result: CheckResult; lines: Record<string, string[]> }> = [
    {
      what: 'a database that answered: connected, its time, no error',
      result: up,
      lines: {
        connectivity: ['sealos_database_connectivity{namespace="ns-a",database="pg",type="postgresql"} 1'],
        responseTime: [
          'sealos_database_response_time_seconds{namespace="ns-a",database="pg",type="postgresql"} 0.0125',
        ],
        checkError: [],
      },
    },
    {
      what: 'a refused connection: not connected, the time it took, its reason',
      result: refused,
      lines: {
        connectivity: ['sealos_database_connectivity{namespace="ns-a",database="my",type="mysql"} 0'],
        responseTime: [
          'sealos_database_response_time_seconds{namespace="ns-a",database="my",type="mysql"} 0.002',
        ],
        checkError: [
          'sealos_database_check_error{namespace="ns-a",database="my",type="mysql",reason="refused"} 1',
        ],
      },
    },
    {
      what: 'a stopped database is not contacted: no response time',
      result: stopped,
      lines: {
        connectivity: ['sealos_database_connectivity{namespace="ns-b",database="rd",type="redis"} 0'],
        responseTime: [],
        checkError: [
          'sealos_database_check_error{namespace="ns-b",database="rd",type="redis",reason="stopped"} 1',
        ],
      },
    },
    {
      what: 'label values with quotes and backslashes are escaped',
      result: quoted,
      lines: {
        connectivity: [
          'sealos_database_connectivity{namespace="ns-\\"q\\"",database="a\\\\b",type="mongodb"} 1',
        ],
        responseTime: [
          'sealos_database_response_time_seconds{namespace="ns-\\"q\\"",database="a\\\\b",type="mongodb"} 1',
        ],
        checkError: [],
      },
    },
  ];
  for (const { what, result, lines } of cases) {
    assert.deepEqual(await seriesOf(databaseConnectivity, connectivity, [result]), lines.connectivity, what);
    assert.deepEqual(await seriesOf(databaseResponseTime, responseTime, [result]), lines.responseTime, what);
    assert.deepEqual(await seriesOf(databaseCheckError, checkError, [result]), lines.checkError, what);
  }
});
