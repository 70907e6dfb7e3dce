/**
 * database benchmark: N KubeBlocks databases (a quarter of each type) checked in one run against
 * the real PostgreSQL, MariaDB and Redis on this machine and a MongoDB wire server in a child
 * process, many logical names per server. Half the databases go through the whole preflight
 * (Service, Endpoints, DNS from a local DNS server), half name 127.0.0.1. Figures, not pass/fail:
 * wall time, CPU, peak TCP sockets of this process, peak RSS.
 *
 * BENCH_DATABASES=1000,10000 npm run bench  (the target: 10k in 5 minutes)
 */
import { randomBytes } from 'node:crypto';
import { databaseConfig } from '../instruments/database/config.js';
import { database } from '../instruments/database/database.js';
import { createDatabaseLogins } from '../test/support/database-servers.js';
import { TestDnsServer } from '../test/support/dns-server.js';
import { harness } from '../test/support/harness.js';
import { KUBEBLOCKS_CLUSTERS, TestApiServer } from '../test/support/kube/api-server.js';
import { testCluster } from '../test/support/kube/cluster.js';
import { addDatabases, startMongoFixture } from './world-objects.js';

const sizes = (process.env.BENCH_DATABASES ?? '1000').split(',').map(Number);
const USER = `ssm_bench_${randomBytes(3).toString('hex')}`;
const PASSWORD = randomBytes(12).toString('hex');

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
}

const dropLogins = await createDatabaseLogins(USER, PASSWORD);
const mongo = await startMongoFixture(PASSWORD);
const dns = await TestDnsServer.start();

try {
  for (const size of sizes) {
    const server = await TestApiServer.start();
    server.registerType(KUBEBLOCKS_CLUSTERS);
    addDatabases(server, dns, size, { user: USER, password: PASSWORD, mongoPort: mongo.port });
    const cluster = await testCluster(server);
    const h = harness('sealos', cluster);
    const instrument = database.create(
      h.context('database'),
      databaseConfig.parse({
        discovery: 'clusters',
        secretLabelSelector: 'app.kubernetes.io/managed-by=kubeblocks',
        checkInterval: '1h',
        checkTimeout: '10s',
        resolver: dns.address,
      }),
    ) as ReturnType<typeof database.create> & { collectNow(): Promise<void> };
    // The first run includes the informers' initial lists; the second is a steady-state interval.
    await instrument.start();
    await instrument.ready?.();
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    let peakSockets = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakSockets = Math.max(peakSockets, tcpSockets());
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 5);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await instrument.collectNow();
    const wallS = (performance.now() - started) / 1000;
    const cpuUse = process.cpuUsage(cpu);
    clearInterval(sampler);
    global.gc?.();
    const rssAfter = process.memoryUsage.rss();
    const body = await h.scrape();
    const available = /sealos_database_available\{type="all"\} (\d+)/.exec(body)?.[1];
    console.log(
      JSON.stringify({
        databases: size,
        available: Number(available),
        wallS: Number(wallS.toFixed(2)),
        cpuS: Number(((cpuUse.user + cpuUse.system) / 1e6).toFixed(2)),
        peakTcpSockets: peakSockets,
        rssBeforeRunMiB: Math.round(rssBefore / 2 ** 20),
        peakRssMiB: Math.round(peakRss / 2 ** 20),
        rssAfterRunMiB: Math.round(rssAfter / 2 ** 20),
      }),
    );
    await instrument.stop();
    await cluster.stop();
    await server.stop();
  }
} finally {
  await dropLogins();
  mongo.stop();
  await dns.stop();
}
