/** The zombie instrument's series: zombies per container, named by their pod when it is known. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesOf } from '../../test/support/series.js';
import { zombieProcesses } from './metrics.js';
import { nodePod, podLookup } from './pods.js';
import type { Zombie } from './proc.js';
import { countByContainer, zombieSeries } from './series.js';

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const UID_B = '11111111-2222-3333-4444-555555555555';
const zombie = (pid: number, container?: Zombie['container']): Zombie => ({
  pid,
  comm: 'sleep',
  state: 'Z',
  ppid: 1,
  ...(container ? { container } : {}),
});
// One pod on the node that lists container A in its status; container B's pod is found by its UID.
const podOf = podLookup([
  nodePod({
    metadata: { name: 'web-0', namespace: 'shop', uid: 'u-web' },
    status: { containerStatuses: [{ containerID: `containerd://${ID_A}` }] },
  }),
  nodePod({ metadata: { name: 'batch-7', namespace: 'jobs', uid: UID_B }, status: {} }),
]);

test('zombies per container on a node, by table', async () => {
  const cases: Array<{ what: string; zombies: Zombie[]; want: string[] }> = [
    {
      what: 'no zombies: the host series alone, at 0',
      zombies: [],
      want: ['sealos_zombie_processes{node="n1",namespace="",pod="",container_id=""} 0'],
    },
    {
      what: 'host processes share the empty container id',
      zombies: [zombie(10), zombie(11)],
      want: ['sealos_zombie_processes{node="n1",namespace="",pod="",container_id=""} 2'],
    },
    {
      what: 'a container listed in its pod status: named by the pod, id cut to 12 characters',
      zombies: [zombie(20, { containerId: ID_A }), zombie(21, { containerId: ID_A })],
      want: [
        'sealos_zombie_processes{node="n1",namespace="",pod="",container_id=""} 0',
        `sealos_zombie_processes{node="n1",namespace="shop",pod="web-0",container_id="${ID_A.slice(0, 12)}"} 2`,
      ],
    },
    {
      what: 'a container not in any status yet: found by the pod UID of its cgroup',
      zombies: [zombie(30, { containerId: ID_B, podUid: UID_B })],
      want: [
        'sealos_zombie_processes{node="n1",namespace="",pod="",container_id=""} 0',
        `sealos_zombie_processes{node="n1",namespace="jobs",pod="batch-7",container_id="${ID_B.slice(0, 12)}"} 1`,
      ],
    },
    {
      what: "a container whose pod this node's pods do not name: empty namespace and pod",
      zombies: [zombie(40, { containerId: 'c'.repeat(64), podUid: 'no-such-uid' })],
      want: [
        'sealos_zombie_processes{node="n1",namespace="",pod="",container_id=""} 0',
        'sealos_zombie_processes{node="n1",namespace="",pod="",container_id="cccccccccccc"} 1',
      ],
    },
  ];
  for (const { what, zombies, want } of cases) {
    const got = await seriesOf(zombieProcesses, zombieSeries('n1', podOf), countByContainer(zombies));
    assert.deepEqual(got, want, what);
  }
});
