/**
 * Running `vgs` and reading its JSON report. The report is parsed strictly: a field that is not a
 * byte count is an error naming the volume group, the field and the value, never a zero.
 */
import { execFile } from 'node:child_process';

export interface VolumeGroup {
  readonly name: string;
  readonly sizeBytes: number;
  readonly freeBytes: number;
  readonly metadataSizeBytes: number;
  readonly metadataFreeBytes: number;
}

/** The report arguments appended to the configured command. */
export const VGS_REPORT_ARGS = [
  '--reportformat',
  'json',
  '--units',
  'b',
  '--nosuffix',
  '-o',
  'vg_name,vg_size,vg_free,vg_mda_size,vg_mda_free',
] as const;

function bytes(vg: string, field: string, value: unknown): number {
  // `--reportformat json` gives digit strings; `json_std` (LVM >= 2.03.17) gives numbers.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    const parsed = Number(value);
    if (Number.isSafeInteger(parsed)) return parsed;
  }
  throw new Error(`vgs report: volume group "${vg}": ${field} is ${JSON.stringify(value)}, not a byte count`);
}

/** Parses `vgs --reportformat json|json_std --units b --nosuffix` output. */
export function parseVgsReport(text: string): VolumeGroup[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`vgs report is not JSON: ${(error as Error).message}`);
  }
  const report = (document as { report?: unknown })?.report;
  if (!Array.isArray(report)) throw new Error('vgs report has no "report" list');
  const groups: VolumeGroup[] = [];
  for (const section of report) {
    const vgs = (section as { vg?: unknown })?.vg;
    if (vgs === undefined) continue;
    if (!Array.isArray(vgs)) throw new Error('vgs report: "vg" is not a list');
    for (const entry of vgs as Record<string, unknown>[]) {
      const name = entry?.vg_name;
      if (typeof name !== 'string' || name === '')
        throw new Error(`vgs report: an entry has no vg_name: ${JSON.stringify(entry)}`);
      groups.push({
        name,
        sizeBytes: bytes(name, 'vg_size', entry.vg_size),
        freeBytes: bytes(name, 'vg_free', entry.vg_free),
        metadataSizeBytes: bytes(name, 'vg_mda_size', entry.vg_mda_size),
        metadataFreeBytes: bytes(name, 'vg_mda_free', entry.vg_mda_free),
      });
    }
  }
  return groups;
}

export interface VgsResult {
  readonly groups: VolumeGroup[];
  /** What vgs printed on stderr although it succeeded (warnings). */
  readonly warnings: string;
}

/**
 * A fixed environment: none of this process's variables (secrets among them) reach the child;
 * LVM is told not to complain on stderr about inherited descriptors; C locale for stable output.
 */
const VGS_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C',
  LC_ALL: 'C',
  LVM_SUPPRESS_FD_WARNINGS: '1',
};

/** Runs the command (no shell) with the report arguments; errors say what failed and how. */
export function runVgs(
  command: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<VgsResult> {
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args, ...VGS_REPORT_ARGS],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 8 << 20,
        env: VGS_ENV,
        ...(signal ? { signal } : {}),
      },
      (error, stdout, stderr) => {
        const firstLine = stderr.trim().split('\n')[0] ?? '';
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT')
            return reject(new Error(`command "${file}" not found (collectors.lvm.command)`));
          if ((error as { killed?: boolean }).killed)
            return reject(new Error(`"${file}" did not finish within ${timeoutMs} ms`));
          return reject(
            new Error(
              `"${file}" exited ${String((error as { code?: unknown }).code)}${firstLine ? `: ${firstLine}` : ''}`,
            ),
          );
        }
        try {
          resolve({ groups: parseVgsReport(stdout), warnings: stderr.trim() });
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}
