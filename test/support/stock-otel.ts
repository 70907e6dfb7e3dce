/**
 * The stock OpenTelemetry path, as the oracle our pull and push paths are compared with: the
 * SDK's observable instruments and aggregation, and @opentelemetry/exporter-prometheus's
 * serializer (scope info and target_info off, as our output has neither).
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricSink } from '../../lib/instrument.js';
import { exposedName } from '../../lib/telemetry/declaration.js';
import { passItems, sinkOver } from '../../lib/telemetry/source.js';

/** Registers metrics on a plain SDK MeterProvider, collects once, and serializes the stock way. */
export async function stockExposition(register: (sink: MetricSink) => void): Promise<string> {
  const reader = new (class extends MetricReader {
    protected override async onShutdown(): Promise<void> {}
    protected override async onForceFlush(): Promise<void> {}
  })({ cardinalitySelector: () => Number.MAX_SAFE_INTEGER });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('stock');
  register(
    sinkOver((declaration, open) => {
      const name = exposedName(declaration, 'sealos');
      const options = { description: declaration.help, unit: declaration.unit };
      const instrument =
        declaration.kind === 'counter'
          ? meter.createObservableCounter(name, options)
          : meter.createObservableGauge(name, options);
      instrument.addCallback((result) => {
        const pass = open();
        for (const item of passItems(pass)) pass.each(item, (value, labels) => result.observe(value, labels));
      });
    }),
  );
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return stockSerializer().serialize(resourceMetrics);
}

export function stockSerializer() {
  return new PrometheusSerializer(undefined, false, undefined, true, true);
}
