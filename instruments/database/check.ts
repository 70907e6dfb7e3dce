/**
 * One database's check: preflight, then connect + authenticate + ping, all inside the check
 * timeout. The result carries a reason from the closed set, never a driver's message.
 */
import { safeErrorLine } from '../../lib/config/redact.js';
import type { Logger } from '../../lib/instrument.js';
import type { Connector } from './connectors.js';
import type { DatabaseTarget, DatabaseType } from './discovery.js';
import { CheckFailure, classifyFailure, type FailureReason } from './failure.js';
import { type AddressResolver, checkService, type ServiceState } from './preflight.js';

export interface CheckResult {
  readonly namespace: string;
  readonly name: string;
  readonly type: DatabaseType;
  readonly connected: boolean;
  readonly reason?: FailureReason;
  /** Absent when the database was not contacted (stopped, no usable Secret). */
  readonly seconds?: number;
}

export interface CheckDeps {
  readonly resolver: AddressResolver;
  readonly services: ServiceState;
  readonly clusterDomain: string;
  readonly timeoutMs: number;
  readonly connect: Connector;
  readonly logger: Logger;
}

export async function checkDatabase(
  target: DatabaseTarget,
  deps: CheckDeps,
  run: AbortSignal,
): Promise<CheckResult> {
  const identity = { namespace: target.namespace, name: target.name, type: target.type };
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new CheckFailure('timeout', `no answer within ${deps.timeoutMs} ms`)),
    deps.timeoutMs,
  );
  const onRunAbort = () => deadline.abort(new CheckFailure('timeout', 'the collection run was cut'));
  run.addEventListener('abort', onRunAbort, { once: true });
  const work = async () => {
    checkService(target.host, deps.clusterDomain, deps.services);
    const address = await deps.resolver.resolve(target.host);
    deadline.signal.throwIfAborted();
    await deps.connect(
      { address, port: target.port, username: target.username, password: target.password },
      deps.timeoutMs,
      deadline.signal,
    );
  };
  try {
    await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true });
      }),
    ]);
    return { ...identity, connected: true, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    const reason = classifyFailure(error);
    deps.logger.debug(
      {
        namespace: target.namespace,
        database: target.name,
        type: target.type,
        reason,
        err: safeErrorLine(error, [target.password]),
      },
      'database check failed',
    );
    return { ...identity, connected: false, reason, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
    run.removeEventListener('abort', onRunAbort);
    // A connector still running past the deadline tears itself down on this abort.
    if (!deadline.signal.aborted) deadline.abort(new CheckFailure('timeout', 'check finished'));
  }
}
