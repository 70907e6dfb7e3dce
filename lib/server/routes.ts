/**
 * Request handlers shared by the main server and the loopback debug server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { CONTENT_TYPES, negotiateFormat } from '../telemetry/exposition.js';
import type { ExpositionLease } from '../telemetry/pipeline.js';
import { healthReport } from './health.js';
import { writeBody } from './response-body.js';

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

/**
 * How long a scrape may take: Prometheus sends its scrape timeout, and gives up at it; stopping a
 * little earlier (0.5 s, or a tenth of a short timeout, as blackbox_exporter does) lets the
 * answer be a clear 503 rather than a connection Prometheus has already abandoned.
 */
/** The longest delay a Node timer takes; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The time a scrape may take: a little under the scraper's timeout, in whole milliseconds (timers
 * take no fractions: Prometheus sends `1.1` for 1100ms), at least 1; none for a header that is
 * not a finite positive number, or whose budget no timer can hold.
 */
export function scrapeBudgetMs(header: string | string[] | undefined): number | undefined {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  const budget = Math.max(1, Math.floor(Math.max(seconds - 0.5, seconds * 0.9) * 1000));
  return budget > MAX_TIMER_MS ? undefined : budget;
}

export async function serveMetrics(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
) {
  const format = negotiateFormat(req.headers.accept);
  const budgetMs = scrapeBudgetMs(req.headers['x-prometheus-scrape-timeout-seconds']);
  const signal = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
  let lease: ExpositionLease;
  try {
    lease = await runtime.current.pipeline.lease(signal);
  } catch (error) {
    if (!signal?.aborted) throw error;
    logger.warn({ budgetMs }, "scrape cut at the scraper's timeout (X-Prometheus-Scrape-Timeout-Seconds)");
    return sendText(res, 503, `collection did not finish within ${budgetMs} ms\n`);
  }
  const { exposition } = lease;
  if (exposition.errors.length > 0) {
    logger.warn(
      { errors: exposition.errors.slice(0, 5).map(String), count: exposition.errors.length },
      'metric callbacks failed',
    );
  }
  // Chunked: the body is written as it is held, never joined; short pieces packed into batches.
  res.writeHead(200, { 'content-type': CONTENT_TYPES[format] });
  if (req.method === 'HEAD') {
    lease.release();
    return void res.end();
  }
  // A response cut short may still hold chunks in the socket: they are not released for reuse.
  if (!(await writeBody(res, exposition.chunks(format)))) return;
  // 'finish': the last bytes are handed to the kernel, so the chunks may be written over.
  res.end(() => lease.release());
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
