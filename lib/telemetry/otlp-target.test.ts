/** The OpenTelemetry specification's endpoint rules, case by case (specification/protocol/exporter.md). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OtlpAddress, otlpTargetUrl } from './otlp-target.js';

test('where the push sends, by protocol, base endpoint and metrics URL', () => {
  const cases: [Partial<OtlpAddress> & Pick<OtlpAddress, 'protocol'>, string][] = [
    // The protocols' defaults.
    [{ protocol: 'grpc' }, 'http://localhost:4317'],
    [{ protocol: 'http/protobuf' }, 'http://localhost:4318/v1/metrics'],
    // gRPC takes the endpoint as it is.
    [{ protocol: 'grpc', endpoint: 'https://gw:4317' }, 'https://gw:4317'],
    // Over HTTP the base gets v1/metrics below its own path, with or without a slash.
    [{ protocol: 'http/protobuf', endpoint: 'http://gw:4318' }, 'http://gw:4318/v1/metrics'],
    [{ protocol: 'http/protobuf', endpoint: 'http://gw:4318/' }, 'http://gw:4318/v1/metrics'],
    [{ protocol: 'http/protobuf', endpoint: 'https://gw/otlp' }, 'https://gw/otlp/v1/metrics'],
    [{ protocol: 'http/protobuf', endpoint: 'https://gw/otlp/' }, 'https://gw/otlp/v1/metrics'],
    // A query stays a query (the stock exporter's string append would put the path inside it).
    [
      { protocol: 'http/protobuf', endpoint: 'https://gw/otlp?tenant=a' },
      'https://gw/otlp/v1/metrics?tenant=a',
    ],
    // The metrics URL is used as is, over either protocol, and beats the base.
    [
      {
        protocol: 'http/protobuf',
        endpoint: 'http://ignored:4318',
        metricsEndpoint: 'https://gw/custom/path',
      },
      'https://gw/custom/path',
    ],
    [{ protocol: 'http/protobuf', metricsEndpoint: 'http://gw:4318' }, 'http://gw:4318'],
    [
      { protocol: 'grpc', endpoint: 'http://ignored:4317', metricsEndpoint: 'http://gw:4317' },
      'http://gw:4317',
    ],
  ];
  for (const [address, expected] of cases) {
    assert.equal(
      otlpTargetUrl({ endpoint: '', metricsEndpoint: '', ...address }),
      expected,
      JSON.stringify(address),
    );
  }
});
