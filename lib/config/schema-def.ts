/**
 * What a zod schema parses, read from its definition: the environment overrides and the loose
 * typing of collector sections both walk a schema alongside a value.
 */
import type { z } from 'zod';

export interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

export function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/**
 * A schema and the schemas it wraps, outside in, down to the one that meets the value: through
 * defaults, optionals and pipes, a pipe's input (durations, refinements), or its output when the
 * input is a preprocessing step of its own.
 */
export function schemaChain(schema: z.ZodType): z.ZodType[] {
  const chain = [schema];
  for (;;) {
    const def = defOf(chain.at(-1) as z.ZodType);
    const next =
      def.innerType ??
      (def.type === 'pipe' && def.in && def.out
        ? defOf(def.in).type === 'transform'
          ? def.out
          : def.in
        : undefined);
    if (!next) return chain;
    chain.push(next);
  }
}

/** The definition of the schema that meets the value (the end of its chain). */
export function unwrap(schema: z.ZodType): SchemaDef {
  return defOf(schemaChain(schema).at(-1) as z.ZodType);
}
