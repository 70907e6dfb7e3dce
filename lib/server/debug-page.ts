/**
 * The debug page: instruments, their health and last run, and the running config with secrets
 * redacted. Served on loopback only, without auth, as in the original.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import { redact } from '../config/redact.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { guarded, sendJson, sendText, serveHealth, serveMetrics } from './routes.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function debugState(runtime: Runtime) {
  const generation = runtime.current;
  const health = generation.health();
  return {
    instance: runtime.identity.instance,
    node: runtime.identity.nodeName,
    generation: generation.number,
    configHash: generation.loaded.hash,
    reloads: {
      successes: runtime.reloads.successes,
      failures: runtime.reloads.failures,
      lastSuccessful: runtime.reloads.lastSuccessful,
      restartRequired: runtime.reloads.restartRequired,
    },
    collectors: Object.entries(health).map(([name, state]) => {
      const last = generation.collections.get(name);
      return {
        name,
        state: state.state,
        reason: state.reason ?? '',
        lastRunSeconds: last?.durationSeconds,
        lastRunAt: last ? new Date(last.finishedAtSeconds * 1000).toISOString() : undefined,
        lastError: last?.error ?? '',
      };
    }),
    config: redact(generation.loaded.config),
  };
}

function renderPage(runtime: Runtime): string {
  const state = debugState(runtime);
  const rows = state.collectors
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.state)}</td><td>${escapeHtml(c.lastRunAt ?? '-')}</td>` +
        `<td>${c.lastRunSeconds === undefined ? '-' : c.lastRunSeconds.toFixed(3)}</td><td>${escapeHtml(c.lastError || c.reason)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>sealos-state-metrics debug</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}pre{background:#f5f5f5;padding:1em}</style>
</head><body>
<h1>sealos-state-metrics</h1>
<p>instance <b>${escapeHtml(state.instance)}</b> on node <b>${escapeHtml(state.node)}</b>, generation ${state.generation},
config ${escapeHtml(state.configHash.slice(0, 12))}; reloads: ${state.reloads.successes} applied, ${state.reloads.failures} rejected${
    state.reloads.restartRequired.length > 0
      ? `; <b>restart needed for ${escapeHtml(state.reloads.restartRequired.join(', '))}</b>`
      : ''
  }</p>
<h2>Collectors</h2>
<table><tr><th>collector</th><th>state</th><th>last run</th><th>seconds</th><th>last error</th></tr>
${rows}
</table>
<h2>Running config (secrets redacted, durations in milliseconds)</h2>
<pre>${escapeHtml(stringify(state.config))}</pre>
<p><a href="state.json">state.json</a></p>
</body></html>
`;
}

export function debugHandler(runtime: Runtime, logger: Logger) {
  return guarded(logger, (req: IncomingMessage, res: ServerResponse) => {
    const { debugServer } = runtime.current.loaded.config;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') return sendText(res, 200, renderPage(runtime), 'text/html; charset=utf-8');
    if (path === '/state.json') return sendJson(res, 200, debugState(runtime));
    if (path === debugServer.metricsPath) return serveMetrics(runtime, req, res, logger);
    if (path === debugServer.healthPath) return serveHealth(runtime, res);
    sendText(res, 404, 'not found\n');
  });
}
