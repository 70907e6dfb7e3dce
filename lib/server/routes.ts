/**
 * Request handlers shared by the main server and the loopback debug server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { CONTENT_TYPES, negotiateFormat } from '../telemetry/exposition.js';
import { healthReport } from './health.js';

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendText(res, status, `${JSON.stringify(value)}\n`, 'application/json');
}

export async function serveMetrics(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
) {
  const format = negotiateFormat(req.headers.accept);
  const { body, errors } = await runtime.current.pipeline.scrape(format);
  if (errors.length > 0) {
    logger.warn({ errors: errors.slice(0, 5).map(String), count: errors.length }, 'metric callbacks failed');
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[format], 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function serveHealth(runtime: Runtime, res: ServerResponse): void {
  const report = healthReport(runtime.current.health());
  sendJson(res, report.status === 'ok' ? 200 : 503, report);
}

/** Runs a handler and turns a thrown error into a 500 without leaking its text to the client. */
export function guarded(
  logger: Logger,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        logger.error({ err: (error as Error).message, url: req.url }, 'request failed');
        if (!res.headersSent) sendText(res, 500, 'internal error\n');
        else res.destroy();
      });
  };
}
