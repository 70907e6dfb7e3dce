/**
 * The exposition lines one metric's `each` gives for some items, through the real pipeline (the
 * same label writing, escaping and value formatting as /metrics): for table tests of an
 * instrument's series functions, with no server and no instrument around them.
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { MetricDeclaration, Observe } from '../../lib/instrument.js';
import { TelemetryPipeline } from '../../lib/telemetry/pipeline.js';

export async function seriesOf<D extends MetricDeclaration, T>(
  declaration: D,
  each: (item: T, observe: Observe<D>) => void,
  items: readonly T[],
): Promise<string[]> {
  const pipeline = new TelemetryPipeline({ namespace: 'sealos', resource: resourceFromAttributes({}) });
  pipeline.sink.observeEach(declaration, () => items, each);
  const { body, errors } = await pipeline.scrape('text');
  await pipeline.shutdown();
  if (errors.length > 0) throw errors[0];
  return body.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}
