/**
 * Per-metric switches, as OpenTelemetry Collector receivers have them:
 * `collectors.<instrument>.metrics.<metric>.enabled`. Every declared metric of an instrument gets
 * its switch in that instrument's section (so the reference, the environment names and the
 * README tables list them); a metric declared `optIn` is off until switched on. A metric switched
 * off is never registered, like one the allow/deny lists leave out.
 */
import { z } from 'zod';
import type { InstrumentDefinition } from '../instrument.js';
import type { MetricDeclaration } from '../telemetry/declaration.js';
import { defOf } from './schema-def.js';

/** The `metrics` key of an instrument's section: one optional `{enabled}` per declared metric. */
function switchesSchema(declarations: readonly MetricDeclaration[]) {
  return z
    .strictObject(
      Object.fromEntries(
        declarations.map((declaration) => [
          declaration.name,
          z
            .strictObject({
              enabled: z
                .boolean()
                .default(!declaration.optIn)
                .meta({
                  description: declaration.optIn
                    ? `Opt-in: \`true\` exposes \`${declaration.name}\` (off by default).`
                    : `\`false\` leaves \`${declaration.name}\` out of both exports (on by default).`,
                }),
            })
            .optional(),
        ]),
      ),
    )
    .optional();
}

interface Wrapped {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly defaultValue?: unknown;
  /** Refinements (`superRefine` on a wrapper puts them on the wrapper). */
  readonly checks?: z.core.$ZodCheck<unknown>[];
}

/** The section's object schema with `extra` keys, its defaults and refinements kept. */
function extended(schema: z.ZodType, extra: Record<string, z.ZodType>): z.ZodType {
  const def = defOf(schema) as Wrapped;
  // safeExtend keeps an object's own refinements.
  if (def.type === 'object') return (schema as z.ZodObject).safeExtend(extra);
  let rebuilt: z.ZodType;
  if (def.innerType && def.type === 'prefault')
    rebuilt = extended(def.innerType, extra).prefault(def.defaultValue as never);
  else if (def.innerType && def.type === 'default')
    rebuilt = extended(def.innerType, extra).default(def.defaultValue as never);
  else throw new Error(`an instrument's config schema must be an object (with defaults), not a ${def.type}`);
  return def.checks && def.checks.length > 0 ? rebuilt.check(...def.checks) : rebuilt;
}

/** An instrument's section as the config takes it: its own keys and `metrics`. */
export function sectionSchema(definition: InstrumentDefinition): z.ZodType {
  if (definition.metrics.length === 0) return definition.configSchema;
  return extended(definition.configSchema, { metrics: switchesSchema(definition.metrics) });
}

type Switches = Readonly<Record<string, { readonly enabled: boolean } | undefined>>;

/** Whether a declared metric is on under its instrument's section of the config. */
export function switchedOn(section: unknown, declaration: MetricDeclaration): boolean {
  const switches = (section as { metrics?: Switches } | undefined)?.metrics;
  return switches?.[declaration.name]?.enabled ?? !declaration.optIn;
}

/** Every declared metric an instrument's switches turn off, by identity. */
export function switchedOff(
  definitions: readonly InstrumentDefinition[],
  collectors: Readonly<Record<string, unknown>>,
): Set<MetricDeclaration> {
  const off = new Set<MetricDeclaration>();
  for (const definition of definitions) {
    for (const declaration of definition.metrics)
      if (!switchedOn(collectors[definition.name], declaration)) off.add(declaration);
  }
  return off;
}
