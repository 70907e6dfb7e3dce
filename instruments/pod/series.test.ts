/** The pod instrument's series for one Pod. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesOf } from '../../test/support/series.js';
import { podContainerRestarts } from './metrics.js';
import type { PodRestarts } from './pod.js';
import { restartSeries } from './series.js';

const pod = (containers: Array<[string, number]>): PodRestarts => ({
  namespace: 'ns',
  name: 'web-0',
  containers: containers.map(([name, restarts]) => ({ name, restarts })),
});

test('restart counts of the containers at or past the threshold', async () => {
  const cases: Array<{ what: string; threshold: number; pod: PodRestarts; lines: string[] }> = [
    { what: 'below the threshold: nothing', threshold: 5, pod: pod([['app', 4]]), lines: [] },
    {
      what: 'at the threshold: the count',
      threshold: 5,
      pod: pod([['app', 5]]),
      lines: ['sealos_pod_container_restarts{namespace="ns",pod="web-0",container="app"} 5'],
    },
    {
      what: 'two containers (an init container among them), only the one past it',
      threshold: 3,
      pod: pod([
        ['init', 1],
        ['app', 40],
      ]),
      lines: ['sealos_pod_container_restarts{namespace="ns",pod="web-0",container="app"} 40'],
    },
    {
      what: 'a threshold of 0: every container, never restarted ones too',
      threshold: 0,
      pod: pod([['app', 0]]),
      lines: ['sealos_pod_container_restarts{namespace="ns",pod="web-0",container="app"} 0'],
    },
  ];
  for (const { what, threshold, pod: p, lines } of cases) {
    assert.deepEqual(await seriesOf(podContainerRestarts, restartSeries(threshold), [p]), lines, what);
  }
});
