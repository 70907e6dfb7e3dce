/**
 * Field paths into API objects: `spec.replicas`, `status.conditions[0].type`, and keys that
 * contain dots either quoted (`metadata.labels["app.kubernetes.io/name"]`) or escaped
 * (`metadata.labels.app\.kubernetes\.io/name`). A leading dot is allowed, as kubectl writes it.
 * Parsing happens at config validation; evaluation never throws.
 */
export type PathSegment = { readonly key: string } | { readonly index: number };

export class PathError extends Error {}

/** Parses a path; throws PathError naming the position of the problem. */
export function parsePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = text.startsWith('.') ? 1 : 0;
  if (i >= text.length) throw new PathError('is empty');
  let key = '';
  let keyOpen = false;
  const endKey = () => {
    if (keyOpen) {
      if (key === '') throw new PathError(`has an empty key at ${i}`);
      segments.push({ key });
    }
    key = '';
    keyOpen = false;
  };
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw new PathError('ends in a lone backslash');
      key += next;
      keyOpen = true;
      i += 2;
    } else if (char === '.') {
      if (!keyOpen && segments.length === 0) throw new PathError(`has an empty key at ${i}`);
      if (!keyOpen && text[i - 1] !== ']') throw new PathError(`has an empty key at ${i}`);
      endKey();
      i += 1;
      if (i >= text.length) throw new PathError('ends in a dot');
    } else if (char === '[') {
      endKey();
      const close = text.indexOf(']', i);
      if (close < 0) throw new PathError(`has an unclosed [ at ${i}`);
      const inner = text.slice(i + 1, close);
      const quoted = /^(["'])(.*)\1$/s.exec(inner);
      if (quoted) {
        // Inside quotes only the quote itself is escaped.
        segments.push({ key: (quoted[2] as string).replaceAll(`\\${quoted[1]}`, quoted[1] as string) });
      } else if (/^\d+$/.test(inner)) {
        segments.push({ index: Number(inner) });
      } else {
        throw new PathError(`has [${inner}] at ${i}: use a number or a quoted key`);
      }
      i = close + 1;
      if (i < text.length && text[i] !== '.' && text[i] !== '[')
        throw new PathError(`needs a dot after ] at ${i}`);
    } else {
      key += char;
      keyOpen = true;
      i += 1;
    }
  }
  endKey();
  if (segments.length === 0) throw new PathError('is empty');
  return segments;
}

/** The value at the path, or undefined when any step is missing or of the wrong kind. */
export function evaluatePath(object: unknown, path: readonly PathSegment[]): unknown {
  let current: unknown = object;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if ('index' in segment) {
      if (!Array.isArray(current)) return undefined;
      current = current[segment.index];
    } else {
      if (Array.isArray(current)) return undefined;
      current = Object.hasOwn(current, segment.key)
        ? (current as Record<string, unknown>)[segment.key]
        : undefined;
    }
  }
  return current;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((segment, index) => {
      if ('index' in segment) return `[${segment.index}]`;
      if (/^[A-Za-z0-9_/-]+$/.test(segment.key)) return index === 0 ? segment.key : `.${segment.key}`;
      return `[${JSON.stringify(segment.key)}]`;
    })
    .join('');
}
