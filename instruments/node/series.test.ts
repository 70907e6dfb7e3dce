/** The node instrument's series for one Node under each health rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesOf } from '../../test/support/series.js';
import { type LeanNode, originalHealth, strictHealth } from './conditions.js';
import { nodeCondition, nodeHealthy } from './metrics.js';
import { conditionSeries, healthySeries } from './series.js';

const node = (name: string, conditions: Array<[string, string]>): LeanNode => ({
  name,
  createdMs: 0,
  conditions: conditions.map(([type, status]) => ({ type, status })),
});

test('healthy and abnormal conditions, by the original rule and the strict one', async () => {
  const cases: Array<{ what: string; node: LeanNode; original: string[]; strict: string[] }> = [
    {
      what: 'Ready and no pressure: healthy under both, no condition series',
      node: node('a', [
        ['Ready', 'True'],
        ['MemoryPressure', 'False'],
      ]),
      original: ['sealos_node_healthy{node="a"} 1'],
      strict: ['sealos_node_healthy{node="a"} 1'],
    },
    {
      what: 'Ready but under disk pressure: unhealthy, the pressure at 1',
      node: node('b', [
        ['Ready', 'True'],
        ['DiskPressure', 'True'],
      ]),
      original: [
        'sealos_node_healthy{node="b"} 0',
        'sealos_node_condition{node="b",condition="DiskPressure",status="True"} 1',
      ],
      strict: [
        'sealos_node_healthy{node="b"} 0',
        'sealos_node_condition{node="b",condition="DiskPressure",status="True"} 1',
      ],
    },
    {
      what: 'Ready Unknown (the kubelet stopped reporting): unhealthy, Ready at 0 as Unknown',
      node: node('c', [['Ready', 'Unknown']]),
      original: [
        'sealos_node_healthy{node="c"} 0',
        'sealos_node_condition{node="c",condition="Ready",status="Unknown"} 0',
      ],
      strict: [
        'sealos_node_healthy{node="c"} 0',
        'sealos_node_condition{node="c",condition="Ready",status="Unknown"} 0',
      ],
    },
    {
      what: 'no Ready condition at all: the strict rule infers Ready=Unknown, the original says nothing of it',
      node: node('d', []),
      original: ['sealos_node_healthy{node="d"} 0'],
      strict: [
        'sealos_node_healthy{node="d"} 0',
        'sealos_node_condition{node="d",condition="Ready",status="Unknown"} 0',
      ],
    },
    {
      what: 'an unknown condition type not False: abnormal under both, healthy only as the original counts it',
      node: node('e', [
        ['Ready', 'True'],
        ['KernelDeadlock', 'True'],
      ]),
      original: ['sealos_node_healthy{node="e"} 1'],
      strict: [
        'sealos_node_healthy{node="e"} 0',
        'sealos_node_condition{node="e",condition="KernelDeadlock",status="True"} 1',
      ],
    },
  ];
  for (const { what, node: n, original, strict } of cases) {
    for (const [rule, want] of [
      [originalHealth, original],
      [strictHealth, strict],
    ] as const) {
      const got = [
        ...(await seriesOf(nodeHealthy, healthySeries(rule), [n])),
        ...(await seriesOf(nodeCondition, conditionSeries(rule), [n])),
      ];
      assert.deepEqual(got, want, `${what} (${rule.name})`);
    }
  }
});
