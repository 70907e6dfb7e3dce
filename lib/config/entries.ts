/**
 * Config lists whose entries the original keys in a map: an entry listed twice is one, the later
 * entry's options winning, at the place the later one stands.
 */
export function lastOfEach<T>(entries: readonly T[], keyOf: (entry: T) => readonly string[]): T[] {
  const byKey = new Map<string, T>();
  for (const entry of entries) {
    const key = JSON.stringify(keyOf(entry));
    byKey.delete(key);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}
