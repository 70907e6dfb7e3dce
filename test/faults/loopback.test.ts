/**
 * The debug page and the profiling endpoints have no authentication, so they must never listen
 * beyond loopback: by default, and whatever the config asks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../../lib/app.js';
import { buildConfig, type ConfigError } from '../../lib/config/load.js';
import { harnessLogs } from '../support/app.js';
import { freePorts } from '../support/peer-process.js';

const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));

test('by default the debug and profiling servers listen on 127.0.0.1 only', async (t) => {
  const defaults = buildConfig({}, {}).config;
  assert.equal(defaults.debugServer.address, '127.0.0.1:8080');
  assert.equal(defaults.debugServer.enabled, false);
  assert.equal(defaults.pprof.enabled, false);

  const app = await App.start({
    env: {
      SERVER_ADDRESS: '127.0.0.1:0',
      COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
      DEBUG_SERVER_ENABLED: 'true',
      // The original's `port` key: the port on the default host.
      DEBUG_SERVER_PORT: String((await freePorts(1))[0]),
      PPROF_ENABLED: 'true',
      PPROF_PORT: String((await freePorts(1))[0]),
    },
    logs: harnessLogs(),
  });
  t.after(() => app.stop());
  for (const kind of ['debugServer', 'pprof'] as const) {
    const address = app.loopbackAddress(kind);
    assert.ok(address, `${kind} is not running`);
    assert.equal(address.address, '127.0.0.1', `${kind} listens on ${address.address}`);
  }
});

test('a debug server address beyond loopback is a config error, not a listening socket', () => {
  for (const address of ['0.0.0.0:8080', ':8080', '10.0.0.5:8080', '[::]:8080']) {
    assert.throws(
      () => buildConfig({ debugServer: { enabled: true, address } }, {}),
      (error: ConfigError) => {
        assert.match(error.problems.join('\n'), /debugServer\.address: must be a loopback address/);
        return true;
      },
      address,
    );
  }
});
