/**
 * Reading the process table: which processes are zombies, and which container each belongs to.
 * Parsers are pure so they can be table-tested with real /proc contents.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
}

/** Parses `/proc/<pid>/stat`. `comm` may contain spaces and parentheses, so split at the last `)`. */
export function parseStat(content: string): ProcStat | undefined {
  const open = content.indexOf('(');
  const close = content.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(content.slice(0, open).trim());
  const fields = content.slice(close + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  if (!Number.isInteger(pid) || !state || !Number.isInteger(ppid)) return undefined;
  return { pid, comm: content.slice(open + 1, close), state, ppid };
}

export interface ContainerRef {
  /** Full 64-hex container id. */
  readonly containerId: string;
  /** Pod UID from the kubepods cgroup path, when the runtime put the container under one. */
  readonly podUid?: string;
}

const CONTAINER_ID = /(?:^|[/:.-])([0-9a-f]{64})(?=$|[/.:])/g;
const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

/** The container id in one cgroup path, skipping CRI-O's conmon monitor scope. */
function containerInPath(path: string): ContainerRef | undefined {
  let found: string | undefined;
  for (const match of path.matchAll(CONTAINER_ID)) {
    const before = path.slice(0, match.index + match[0].length - 64);
    if (before.endsWith('conmon-')) continue;
    found = match[1];
  }
  if (!found) return undefined;
  const pod = POD_UID.exec(path)?.[1];
  return pod ? { containerId: found, podUid: pod.replaceAll('_', '-') } : { containerId: found };
}

/**
 * Finds the container of a process from `/proc/<pid>/cgroup`, for cgroup v2 (`0::/path`) and v1
 * (`N:controllers:/path`), with the containerd, CRI-O and docker path forms of both the systemd
 * and cgroupfs drivers. The unified (v2) line wins; otherwise the first v1 line that names one.
 */
export function parseCgroup(content: string): ContainerRef | undefined {
  let fromV1: ContainerRef | undefined;
  for (const line of content.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const ref = containerInPath(line.slice(second + 1));
    if (!ref) continue;
    if (line.startsWith('0::')) return ref;
    fromV1 ??= ref;
  }
  return fromV1;
}

export interface Zombie extends ProcStat {
  readonly container?: ContainerRef;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    // A process can exit between readdir and read: that is not an error of the scan.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw error;
  }
}

const READ_BATCH = 64;

/**
 * Lists the zombies under a proc mount. A zombie's own cgroup is read first; when it names no
 * container (some kernels clear it on exit), the parent's, which is alive and not reaping it.
 */
export async function scanZombies(procPath: string, signal?: AbortSignal): Promise<Zombie[]> {
  let entries: string[];
  try {
    entries = await readdir(procPath);
  } catch (error) {
    throw new Error(`cannot read procPath "${procPath}": ${(error as Error).message}`);
  }
  const pids = entries.filter((name) => /^\d+$/.test(name));
  const zombies: Zombie[] = [];
  for (let i = 0; i < pids.length; i += READ_BATCH) {
    signal?.throwIfAborted();
    const batch = pids.slice(i, i + READ_BATCH);
    const stats = await Promise.all(batch.map((pid) => readOptional(join(procPath, pid, 'stat'))));
    for (const content of stats) {
      const stat = content === undefined ? undefined : parseStat(content);
      if (stat?.state === 'Z') zombies.push(stat);
    }
  }
  return Promise.all(
    zombies.map(async (zombie) => {
      for (const pid of [zombie.pid, zombie.ppid]) {
        const cgroup = await readOptional(join(procPath, String(pid), 'cgroup'));
        const container = cgroup === undefined ? undefined : parseCgroup(cgroup);
        if (container) return { ...zombie, container };
      }
      return zombie;
    }),
  );
}
