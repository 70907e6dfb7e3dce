/**
 * What held the event loop in each stall of a profiled world run: `BENCH_PROFILE_DIR=dir` makes
 * bench/world-child.ts write `scrape.cpuprofile` and `scrape.stalls.json` (every gap over 20 ms
 * between ticks of a 5 ms timer, on the profile's own clock). This reads the pair and prints, for
 * the longest gaps, the functions whose samples fall inside: by self time (where the CPU was) and
 * inclusive time (which task it was). A histogram says how long the loop stopped; this says why.
 *
 *   tsx bench/profile-stalls.ts dir/scrape [how many, default 5]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface Gap {
  fromUs: number;
  toUs: number;
}

const [base, howMany = '5'] = process.argv.slice(2);
if (!base) {
  process.stderr.write('usage: tsx bench/profile-stalls.ts <dir>/scrape [how many]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(`${base}.cpuprofile`, 'utf8')) as CpuProfile;
const gaps = JSON.parse(readFileSync(`${base}.stalls.json`, 'utf8')) as Gap[];

const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

function frameName(id: number): string {
  const { functionName, url, lineNumber } = (nodeById.get(id) as ProfileNode).callFrame;
  const file = url.split('/').slice(-2).join('/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}
function stackOf(id: number): Set<string> {
  const frames = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) frames.add(frameName(at));
  return frames;
}

/** Sample i ran from sampleAt[i] to sampleAt[i + 1]. */
const sampleAt: number[] = [];
let clock = profile.startTime;
for (const delta of profile.timeDeltas) {
  clock += delta;
  sampleAt.push(clock);
}

function top(totals: Map<string, number>, count: number): string[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, us]) => `  ${(us / 1000).toFixed(1).padStart(7)} ms  ${frame}`);
}

const longest = [...gaps].sort((a, b) => b.toUs - b.fromUs - (a.toUs - a.fromUs)).slice(0, Number(howMany));
process.stdout.write(
  `${gaps.length} stalls over 20 ms; profile ${((clock - profile.startTime) / 1e6).toFixed(1)} s, ${profile.samples.length} samples\n`,
);
for (const gap of longest) {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let sampled = 0;
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const from = Math.max(sampleAt[i] as number, gap.fromUs);
    const to = Math.min(sampleAt[i + 1] as number, gap.toUs);
    if (to <= from) continue;
    const id = profile.samples[i] as number;
    sampled += to - from;
    self.set(frameName(id), (self.get(frameName(id)) ?? 0) + to - from);
    for (const frame of stackOf(id)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + to - from);
  }
  const at = (gap.fromUs - profile.startTime) / 1e6;
  process.stdout.write(
    `\n=== ${((gap.toUs - gap.fromUs) / 1000).toFixed(1)} ms at +${at.toFixed(2)} s, ${(sampled / 1000).toFixed(1)} ms sampled\n`,
  );
  if (sampled === 0) {
    process.stdout.write('  no samples inside: the profile and the gaps are not on one clock\n');
    continue;
  }
  process.stdout.write(
    ` self:\n${top(self, 10).join('\n')}\n inclusive:\n${top(inclusive, 20).join('\n')}\n`,
  );
}
