/**
 * One OTLP export's CPU in this process, without a transport: the L world's shape (100k user
 * balances, 30k pods of five series each, every object keyed as informers and polls deliver
 * them), 1% of the objects changed between exports, each request handed to a sender that
 * answers at once. What the walk and the encoding cost, apart from gRPC and the churn around a
 * real export (bench/world.ts measures those). Prints one JSON line.
 *
 *   tsx bench/otlp-export.ts [users, default 100000] [pods, default 30000] [exports, default 7]
 */
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { MetricDeclaration } from '../lib/instrument.js';
import type { EncodedRequest } from '../lib/telemetry/otlp-encoding.js';
import type { RequestSender } from '../lib/telemetry/otlp-push.js';
import { TelemetryPipeline } from '../lib/telemetry/pipeline.js';
import { sealosUser } from './world-objects.js';

const [usersArg = '100000', podsArg = '30000', exportsArg = '7'] = process.argv.slice(2);

const balance = {
  name: 'userbalance_balance',
  kind: 'gauge',
  unit: '{currency}',
  help: 'Sealos user balance.',
  labels: ['region', 'uuid', 'uid', 'owner', 'type', 'level'],
} as const satisfies MetricDeclaration;
const podSeries = {
  name: 'pod_container_state',
  kind: 'gauge',
  unit: '1',
  help: 'A pod container state, five to a pod.',
  labels: ['namespace', 'pod', 'node', 'container', 'state'],
} as const satisfies MetricDeclaration;

interface User {
  readonly labels: ReturnType<typeof sealosUser>;
  readonly value: number;
}
interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly restarts: number;
}

const users = new Map<string, User>();
for (let i = 0; i < Number(usersArg); i++) users.set(String(i), { labels: sealosUser(i), value: i / 100 });
const pods = new Map<string, Pod>();
for (let i = 0; i < Number(podsArg); i++) {
  const namespace = `ns-user${i % 3000}`;
  const name = `app-${i}-7c9f8d6b5-x${(i % 97).toString(36)}`;
  pods.set(`${namespace}/${name}`, { namespace, name, node: `node-${i % 1000}`, restarts: 0 });
}
const STATES = ['running', 'waiting', 'terminated', 'ready', 'restarts'];

class DiscardingSender implements RequestSender {
  requests = 0;
  points = 0;
  bytes = 0;
  async send(request: EncodedRequest) {
    this.requests += 1;
    this.points += request.points;
    this.bytes += request.bytes.length;
    return { code: ExportResultCode.SUCCESS };
  }
  async forceFlush() {}
  async shutdown() {}
}

const sender = new DiscardingSender();
const pipeline = new TelemetryPipeline({
  namespace: 'sealos',
  resource: resourceFromAttributes({ 'service.name': 'sealos-state-metrics' }),
  otlp: { intervalMs: 3_600_000, sender, report: () => {} },
});
pipeline.sink.observeObjects(
  balance,
  () => users,
  (user, observe) => observe(user.value, user.labels),
);
pipeline.sink.observeObjects(
  podSeries,
  () => pods,
  (pod, observe) => {
    for (const state of STATES) {
      observe(state === 'restarts' ? pod.restarts : 1, {
        namespace: pod.namespace,
        pod: pod.name,
        node: pod.node,
        container: 'app',
        state,
      });
    }
  },
);

/** 1% of each kind replaced, as a changed object arrives from an informer or a poll. */
function churn(round: number): void {
  let n = 0;
  for (const [key, user] of users)
    if (n++ % 100 === round % 100) users.set(key, { ...user, value: user.value + 1 });
  n = 0;
  for (const [key, pod] of pods)
    if (n++ % 100 === round % 100) pods.set(key, { ...pod, restarts: pod.restarts + 1 });
}

await pipeline.flush(); // the first export encodes and keeps every object's points
const cpuMs: number[] = [];
const wallMs: number[] = [];
for (let round = 0; round < Number(exportsArg); round++) {
  churn(round);
  sender.points = 0;
  sender.requests = 0;
  sender.bytes = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await pipeline.flush();
  wallMs.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  cpuMs.push((used.user + used.system) / 1000);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
process.stdout.write(
  `${JSON.stringify({
    points: sender.points,
    requests: sender.requests,
    megabytes: sender.bytes / 2 ** 20,
    cpuMs: median(cpuMs),
    cpuMsAll: cpuMs.map(Math.round),
    wallMs: median(wallMs),
  })}\n`,
);
await pipeline.shutdown();
