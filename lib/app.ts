/**
 * The process: runtime (config and generations), the main server, and the loopback debug and
 * profiling servers, which follow the config on every reload.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { Runtime, type RuntimeOptions } from './runtime.js';
import { debugHandler } from './server/debug-page.js';
import { LoopbackServer } from './server/loopback.js';
import { MetricsServer, type MetricsServerOptions } from './server/metrics-server.js';
import { profilingHandler } from './server/profiling.js';

export interface AppOptions extends RuntimeOptions, MetricsServerOptions {}

type LoopbackKind = 'debugServer' | 'pprof';

function loopbackAddress(kind: LoopbackKind, config: Config): string | undefined {
  if (kind === 'debugServer') return config.debugServer.enabled ? config.debugServer.address : undefined;
  return config.pprof.enabled ? `127.0.0.1:${config.pprof.port}` : undefined;
}

export class App {
  readonly runtime: Runtime;
  readonly server: MetricsServer;
  readonly #logger: Logger;
  readonly #loopback = new Map<LoopbackKind, LoopbackServer>();

  private constructor(runtime: Runtime, server: MetricsServer, logger: Logger) {
    this.runtime = runtime;
    this.server = server;
    this.#logger = logger;
  }

  static async start(options: AppOptions): Promise<App> {
    const runtime = await Runtime.start(options);
    let server: MetricsServer;
    try {
      server = await MetricsServer.start(runtime, options.logs, options);
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    const app = new App(runtime, server, options.logs.child({ component: 'app' }));
    await app.#reconcileLoopback(runtime.current.loaded.config);
    runtime.onGeneration((generation) => app.#reconcileLoopback(generation.loaded.config));
    return app;
  }

  /** Starts, moves or stops the debug and profiling servers to match the config. */
  async #reconcileLoopback(config: Config): Promise<void> {
    for (const kind of ['debugServer', 'pprof'] as const) {
      const wanted = loopbackAddress(kind, config);
      const running = this.#loopback.get(kind);
      if (running && running.listenAddress === wanted) continue;
      if (running) {
        await running.close();
        this.#loopback.delete(kind);
        this.#logger.info({ server: kind }, 'stopped');
      }
      if (wanted === undefined) continue;
      try {
        const handler =
          kind === 'debugServer' ? debugHandler(this.runtime, this.#logger) : profilingHandler();
        const field = kind === 'debugServer' ? 'debugServer.address' : 'pprof.port';
        this.#loopback.set(kind, await LoopbackServer.start(field, wanted, this.#logger, handler));
        this.#logger.info({ server: kind, address: wanted }, 'listening');
      } catch (error) {
        this.#logger.error({ server: kind, err: (error as Error).message }, 'could not start');
      }
    }
  }

  loopbackAddress(kind: LoopbackKind): AddressInfo | undefined {
    return this.#loopback.get(kind)?.address();
  }

  /** Graceful stop: no new connections, scrapes in flight finish, last OTLP export flushed. */
  async stop(): Promise<void> {
    await this.server.close();
    await Promise.all([...this.#loopback.values()].map((server) => server.close()));
    this.#loopback.clear();
    await this.runtime.stop();
  }
}
