/**
 * Instances of the CLI as separate processes (leader election against our test API server or a
 * real one; the chart's pod on a real one): each is found by the port it logs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { get } from './http.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
}

export interface LeaderTimings {
  readonly leaseMs: number;
  readonly renewDeadlineMs: number;
  readonly retryMs: number;
}

/** Starts `cli/main.ts` with the node instrument behind a lease; resolves once it serves. */
export function startInstance(
  kubeconfig: string,
  name: string,
  timings: LeaderTimings,
  extraEnv: Record<string, string> = {},
): Promise<Instance> {
  return startCli(name, ['--address', '127.0.0.1:0'], {
    KUBECONFIG: kubeconfig,
    IDENTITY: name,
    ENABLED_COLLECTORS: 'node',
    LEADER_ELECTION_NAMESPACE: 'monitoring',
    LEADER_ELECTION_LEASE_DURATION: `${timings.leaseMs}ms`,
    LEADER_ELECTION_RENEW_DEADLINE: `${timings.renewDeadlineMs}ms`,
    LEADER_ELECTION_RETRY_PERIOD: `${timings.retryMs}ms`,
    ...extraEnv,
  });
}

export interface CliProcess extends Instance {
  /** What it has logged so far (JSON lines). */
  stderr(): string;
}

/** Starts `cli/main.ts` with `args` in a process of its own; resolves once it serves metrics. */
export async function startCli(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<CliProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    // Kept for the whole life of the process: stderr() reads it after start too.
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"port":(\d+).*"msg":"serving metrics"/.exec(stderr);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}:\n${stderr}`)));
  });
  return { name, child, port, stderr: () => stderr };
}

/** Whether the instance serves node-a's series now (it leads the node instrument). */
export async function exportsNodeSeries(instance: Instance): Promise<boolean> {
  const body = (await get(`http://127.0.0.1:${instance.port}/metrics`).catch(() => ({ body: '' }))).body;
  return /^sealos_node_healthy\{node="node-a"\} 1$/m.test(body);
}

export async function exporters(instances: Instance[]): Promise<string[]> {
  const flags = await Promise.all(instances.map(exportsNodeSeries));
  return instances.filter((_, i) => flags[i]).map((instance) => instance.name);
}

export async function until<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', resolve));
