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
 * Down through defaults, optionals and pipes to the schema that meets the value: a pipe's input
 * (durations, refinements), or its output when the input is a preprocessing step of its own.
 */
export function unwrap(schema: z.ZodType): SchemaDef {
  let def = defOf(schema);
  for (;;) {
    if (def.innerType) def = defOf(def.innerType);
    else if (def.type === 'pipe' && def.in && def.out)
      def = defOf(defOf(def.in).type === 'transform' ? def.out : def.in);
    else return def;
  }
}
