import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCgroup, parseStat, scanZombies } from './proc.js';

const ID_A = '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e';
const ID_B = '9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a';
const CONMON = '1111111111111111111111111111111111111111111111111111111111111111';
const POD = '5a2d1b3c-4e5f-6789-abcd-ef0123456789';
const POD_SYSTEMD = POD.replaceAll('-', '_');

test('parses /proc/<pid>/stat, including names with spaces and parentheses', () => {
  assert.deepEqual(parseStat('1234 (sleep) S 1 1234 1234 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0'), {
    pid: 1234,
    comm: 'sleep',
    state: 'S',
    ppid: 1,
  });
  assert.deepEqual(parseStat('77 (my (odd) proc) Z 42 77 77 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0'), {
    pid: 77,
    comm: 'my (odd) proc',
    state: 'Z',
    ppid: 42,
  });
  assert.equal(parseStat(''), undefined);
  assert.equal(parseStat('garbage'), undefined);
  assert.equal(parseStat('12 (x'), undefined);
});

test('finds the container in every runtime and cgroup driver layout', () => {
  const cases: [string, string, { containerId: string; podUid?: string } | undefined][] = [
    [
      'containerd, systemd driver, cgroup v2',
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_SYSTEMD}.slice/cri-containerd-${ID_A}.scope\n`,
      { containerId: ID_A, podUid: POD },
    ],
    [
      'containerd, cgroupfs driver, cgroup v2',
      `0::/kubepods/besteffort/pod${POD}/${ID_B}\n`,
      { containerId: ID_B, podUid: POD },
    ],
    [
      'CRI-O, systemd driver, cgroup v2',
      `0::/kubepods.slice/kubepods-pod${POD_SYSTEMD}.slice/crio-${ID_A}.scope\n`,
      { containerId: ID_A, podUid: POD },
    ],
    [
      "CRI-O's conmon monitor is not the container",
      `0::/kubepods.slice/kubepods-pod${POD_SYSTEMD}.slice/crio-conmon-${CONMON}.scope\n`,
      undefined,
    ],
    [
      'CRI-O container nested under its conmon-named parent',
      `0::/kubepods.slice/crio-conmon-${CONMON}.scope/crio-${ID_B}.scope\n`,
      { containerId: ID_B },
    ],
    [
      'docker (dockershim), cgroupfs, cgroup v1',
      [
        `12:pids:/kubepods/burstable/pod${POD}/${ID_A}`,
        `11:memory:/kubepods/burstable/pod${POD}/${ID_A}`,
        `1:name=systemd:/kubepods/burstable/pod${POD}/${ID_A}`,
        '',
      ].join('\n'),
      { containerId: ID_A, podUid: POD },
    ],
    [
      'containerd, systemd driver, cgroup v1 colon form',
      `10:cpuset:/system.slice/containerd.service/kubepods-burstable-pod${POD_SYSTEMD}.slice:cri-containerd:${ID_B}\n`,
      { containerId: ID_B, podUid: POD },
    ],
    ['plain docker, cgroup v1', `11:memory:/docker/${ID_A}\n`, { containerId: ID_A }],
    ['docker, systemd, cgroup v2', `0::/system.slice/docker-${ID_B}.scope\n`, { containerId: ID_B }],
    [
      'hybrid v1+v2: the unified line wins',
      `4:memory:/docker/${ID_A}\n0::/system.slice/docker-${ID_B}.scope\n`,
      { containerId: ID_B },
    ],
    ['host process in a session', '0::/user.slice/user-1000.slice/session-3.scope\n', undefined],
    ['init', '0::/init.scope\n', undefined],
    ['empty', '', undefined],
    ['too short to be an id', '0::/docker/abcdef0123\n', undefined],
  ];
  for (const [name, content, expected] of cases) assert.deepEqual(parseCgroup(content), expected, name);
});

async function procFixture(
  processes: { pid: number; comm: string; state: string; ppid: number; cgroup?: string }[],
) {
  const root = await mkdtemp(join(tmpdir(), 'ssm-proc-'));
  for (const p of processes) {
    await mkdir(join(root, String(p.pid)));
    await writeFile(
      join(root, String(p.pid), 'stat'),
      `${p.pid} (${p.comm}) ${p.state} ${p.ppid} ${p.pid} ${p.pid} 0 -1 0\n`,
    );
    if (p.cgroup !== undefined) await writeFile(join(root, String(p.pid), 'cgroup'), p.cgroup);
  }
  // Non-process entries of a real /proc must be ignored.
  await mkdir(join(root, 'sys'));
  await writeFile(join(root, 'uptime'), '1.0 1.0\n');
  return root;
}

test('scans a proc tree: zombies only, with their container from their own or their parent cgroup', async () => {
  const root = await procFixture([
    { pid: 1, comm: 'systemd', state: 'S', ppid: 0, cgroup: '0::/init.scope\n' },
    { pid: 100, comm: 'app', state: 'S', ppid: 1, cgroup: `0::/kubepods/burstable/pod${POD}/${ID_A}\n` },
    { pid: 101, comm: 'worker', state: 'Z', ppid: 100, cgroup: `0::/kubepods/burstable/pod${POD}/${ID_A}\n` },
    // Cleared cgroup: the parent's names the container.
    { pid: 102, comm: 'worker', state: 'Z', ppid: 100, cgroup: '0::/\n' },
    // No cgroup file at all (raced with exit), parent in another container.
    { pid: 200, comm: 'db', state: 'S', ppid: 1, cgroup: `0::/system.slice/docker-${ID_B}.scope\n` },
    { pid: 201, comm: 'sh', state: 'Z', ppid: 200 },
    { pid: 300, comm: 'cron', state: 'Z', ppid: 1, cgroup: '0::/system.slice/cron.service\n' },
    { pid: 400, comm: 'busy', state: 'R', ppid: 1, cgroup: `0::/docker/${ID_B}\n` },
  ]);
  const zombies = await scanZombies(root);
  const summary = zombies
    .map(
      (z) =>
        `${z.pid}:${z.ppid}:${z.container?.containerId.slice(0, 6) ?? '-'}:${z.container?.podUid ?? '-'}`,
    )
    .sort();
  assert.deepEqual(summary, [
    `101:100:3f4e5d:${POD}`,
    `102:100:3f4e5d:${POD}`,
    '201:200:9b8a7f:-',
    '300:1:-:-',
  ]);
});

test('a missing proc path is an error that names it', async () => {
  await assert.rejects(scanZombies('/nonexistent/proc'), /procPath "\/nonexistent\/proc"/);
});

test('finds a real zombie that a process of this test leaves unreaped', async (t) => {
  // `exec sleep` replaces the shell, so the background `true` becomes a child of sleep, which
  // never waits for children: it stays a zombie until sleep exits.
  const parent = spawn('sh', ['-c', 'true & exec sleep 30'], { stdio: 'ignore' });
  t.after(() => parent.kill('SIGKILL'));
  const parentPid = parent.pid as number;
  let found: Awaited<ReturnType<typeof scanZombies>>[number] | undefined;
  for (let attempt = 0; attempt < 50 && !found; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    found = (await scanZombies('/proc')).find((zombie) => zombie.ppid === parentPid);
  }
  assert.ok(found, `no zombie child of ${parentPid} found in /proc`);
  // dash runs the builtin `true` in its forked subshell, so the zombie may still be called sh.
  assert.ok(['true', 'sh'].includes(found.comm), found.comm);
  assert.equal(found.state, 'Z');
  // Whatever container this machine runs in, the zombie maps to the same one as its parent.
  const parentCgroup = parseCgroup(await readFile(`/proc/${parentPid}/cgroup`, 'utf8'));
  assert.equal(found.container?.containerId, parentCgroup?.containerId);
});
