/**
 * Probe benchmark: one domain-instrument interval over N endpoints (default 1,000) with two
 * addresses each: 2N TCP connects, TLS handshakes with certificate verification, and HTTP
 * requests, against HTTPS servers and a DNS server in a child process. Figures, not pass/fail:
 * wall time and this process's CPU for one steady-state run, at the default concurrency and at 128.
 *
 * Run with NODE_EXTRA_CA_CERTS=test/fixtures/tls/test-ca.crt (npm run bench does).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { domainConfig } from '../instruments/domain/config.js';
import { domain } from '../instruments/domain/domain.js';
import { harness } from '../test/support/harness.js';

const count = Number(process.env.BENCH_ENDPOINTS ?? '1000');
const script = fileURLToPath(new URL('./probe-servers.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', script, String(count)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const line = (await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()).value as string;
const [port, resolver] = line.split(' ');

try {
  for (const concurrency of [32, 128]) {
    const h = harness('sealos');
    const instrument = domain.create(
      h.context('domain'),
      domainConfig.parse({
        domains: Array.from({ length: count }, (_, i) => `d${i}.bench.test:${port}`),
        resolver,
        checkTimeout: '10s',
        concurrency,
      }),
    ) as ReturnType<typeof domain.create> & { collectNow(): Promise<void> };
    await instrument.start();
    await instrument.ready?.();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await instrument.collectNow();
    const wallS = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const body = await h.scrape();
    const healthy = samples(body);
    console.log(
      JSON.stringify({
        endpoints: count,
        addresses: count * 2,
        concurrency,
        healthyAddresses: healthy,
        failures: failures(body),
        wallS: Number(wallS.toFixed(2)),
        cpuS: Number(((used.user + used.system) / 1e6).toFixed(2)),
        rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
      }),
    );
    await instrument.stop();
  }
} finally {
  child.kill();
}

function samples(body: string): number {
  let total = 0;
  for (const match of body.matchAll(/sealos_domain_health\{domain="[^"]+",type="healthy_ips"\} (\d+)/g)) {
    total += Number(match[1]);
  }
  return total;
}

/** Failed checks by reason: a healthy bench has none. */
function failures(body: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of body.matchAll(/sealos_domain_status\{[^}]*reason="([^"]+)"\} 0/g)) {
    counts[match[1] as string] = (counts[match[1] as string] ?? 0) + 1;
  }
  return counts;
}
