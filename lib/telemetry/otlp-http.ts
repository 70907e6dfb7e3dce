/**
 * The OTLP/HTTP sender (`otlp.protocol: http/protobuf`). Loaded only when the push is on and
 * speaks HTTP.
 *
 * It is the delegate @opentelemetry/exporter-metrics-otlp-proto's OTLPMetricExporter is made of
 * (otlp-exporter-base's node HTTP delegate: its transport with keep-alive, gzip, retries of 429
 * and 5xx after Retry-After, timeouts, the bound on concurrent exports and on the answer's size),
 * with the names and Content-Type that exporter gives it, and one part changed: it is handed
 * requests already encoded by the export's walk (otlp-encoding.ts). Its configuration is built
 * here from our settings, not by the stock converter, which reads OTEL_* variables again on its
 * own and would add what a reload has taken away.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { ExportResult } from '@opentelemetry/core';
import { getSharedConfigurationDefaults } from '@opentelemetry/otlp-exporter-base';
import {
  createOtlpHttpExportDelegate,
  httpAgentFactoryFromOptions,
} from '@opentelemetry/otlp-exporter-base/node-http';
import { USER_AGENT } from '../version.js';
import { encodedRequestCounts, encodedRequestSerializer, readTlsFiles } from './otlp-delegate.js';
import type { OtlpSettings, RequestSender } from './otlp-push.js';

/** What an OTLP/HTTP receiver is told the body is (the specification's binary protobuf encoding). */
export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

/**
 * The request headers: the configured ones under lower-case names, then the Content-Type, which
 * a header of the config cannot replace. A name or value HTTP cannot carry (a line break would
 * split the request) is an error naming the header, never showing its value.
 */
export function requestHeaders(configured: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured)) {
    const field = `otlp.headers.${name}`;
    try {
      validateHeaderName(name);
    } catch {
      throw new Error(`${field}: not a valid HTTP header name`);
    }
    try {
      validateHeaderValue(name, value);
    } catch {
      throw new Error(`${field}: the value holds characters an HTTP header cannot carry`);
    }
    headers[name.toLowerCase()] = value;
  }
  headers['content-type'] = PROTOBUF_CONTENT_TYPE;
  return headers;
}

/** The sender for `settings` (endpoint: the full metrics URL); a bad header or TLS file throws naming it. */
export function httpSender(settings: OtlpSettings): RequestSender {
  const headers = requestHeaders(settings.headers);
  const { ca, cert, key } = readTlsFiles(settings);
  const delegate = createOtlpHttpExportDelegate(
    {
      ...getSharedConfigurationDefaults(),
      url: settings.endpoint,
      // A copy each time: the transport writes its User-Agent into what it is given.
      headers: async () => ({ ...headers }),
      agentFactory: httpAgentFactoryFromOptions({
        keepAlive: true,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      }),
      compression: settings.compression,
      timeoutMillis: settings.timeoutMs,
      // Prepended to the exporter's own product token, as the specification asks of a distribution.
      userAgent: USER_AGENT,
    },
    encodedRequestSerializer,
    'otlp_http_metric_exporter',
    encodedRequestCounts,
    undefined,
  );
  return {
    send: (request) => new Promise<ExportResult>((resolve) => delegate.export(request, resolve)),
    forceFlush: () => delegate.forceFlush(),
    shutdown: () => delegate.shutdown(),
  };
}
