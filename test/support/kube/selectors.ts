/**
 * Label and field selectors as the Kubernetes API server evaluates them, for the test API server.
 * Labels: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`. Fields: `path=v`,
 * `path==v`, `path!=v` on dotted paths (`metadata.name`, `spec.nodeName`, `status.phase`, ...).
 */
type Requirement = (labels: Record<string, string>) => boolean;

/** Splits at commas outside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') terms.push(current.trim());
  return terms;
}

function parseLabelTerm(term: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key, op, list] = set as unknown as [string, string, string, string];
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (labels) => key in labels && values.has(labels[key] as string)
      : (labels) => !(key in labels) || !values.has(labels[key] as string);
  }
  const compare = /^([\w./-]+)\s*(==|!=|=)\s*([\w.-]*)$/.exec(term);
  if (compare) {
    const [, key, op, value] = compare as unknown as [string, string, string, string];
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(term);
  if (exists) {
    const [, not, key] = exists as unknown as [string, string, string];
    return not ? (labels) => !(key in labels) : (labels) => key in labels;
  }
  throw new Error(`unable to parse requirement: "${term}"`);
}

export function labelMatcher(
  selector: string | null,
): (labels: Record<string, string> | undefined) => boolean {
  if (!selector) return () => true;
  const requirements = splitTerms(selector).map(parseLabelTerm);
  return (labels = {}) => requirements.every((requirement) => requirement(labels));
}

function fieldValue(object: unknown, path: string): string {
  let node = object;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return '';
    node = (node as Record<string, unknown>)[key];
  }
  return node === undefined || node === null ? '' : String(node);
}

export function fieldMatcher(selector: string | null): (object: unknown) => boolean {
  if (!selector) return () => true;
  const requirements = splitTerms(selector).map((term) => {
    const match = /^([\w.]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!match) throw new Error(`invalid field selector: "${term}"`);
    const [, path, op, value] = match as unknown as [string, string, string, string];
    return op === '!='
      ? (o: unknown) => fieldValue(o, path) !== value
      : (o: unknown) => fieldValue(o, path) === value;
  });
  return (object) => requirements.every((requirement) => requirement(object));
}
