/**
 * The worker thread of connect-thread.ts: runs the drivers' connect + ping (connectors.ts) and
 * answers each with success or a classified, secret-scrubbed failure. The password never comes
 * back, and no driver error object crosses the thread boundary.
 */
import { parentPort } from 'node:worker_threads';
import { safeErrorLine } from '../../lib/config/redact.js';
import type { ConnectAnswer, ConnectRequest } from './connect-thread.js';
import { CONNECTORS } from './connectors.js';
import { CheckFailure, classifyFailure } from './failure.js';

const port = parentPort;
if (!port) throw new Error('connect-worker runs as a worker thread (connect-thread.ts starts it)');

/** The checks under way, by id, so the main thread can cut one at its deadline. */
const running = new Map<number, AbortController>();

port.on('message', (message: ConnectRequest) => {
  if (message.type === 'abort') {
    running.get(message.id)?.abort(new CheckFailure('timeout', 'the check was cut'));
    return;
  }
  const { id, databaseType, endpoint, timeoutMs } = message;
  const controller = new AbortController();
  running.set(id, controller);
  const answer = (reply: ConnectAnswer) => {
    running.delete(id);
    port.postMessage(reply);
  };
  CONNECTORS[databaseType](endpoint, timeoutMs, controller.signal).then(
    () => answer({ id, ok: true }),
    (error: unknown) => {
      // Cut: the driver's teardown error says less than why it was cut.
      const cause: unknown = controller.signal.aborted ? controller.signal.reason : error;
      answer({
        id,
        ok: false,
        reason: classifyFailure(cause),
        message: safeErrorLine(cause, [endpoint.password]),
      });
    },
  );
});
