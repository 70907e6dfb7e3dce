/**
 * A list's continue token read from the head of its body. kube-apiserver (and every encoder of a
 * List object in field order) writes `kind`, `apiVersion` and the list's `metadata` before its
 * `items`, so the token for the next page is known from the first bytes of a page that may take
 * seconds to arrive and parse. Only a head of exactly that shape is read: a list's metadata is a
 * flat object (resourceVersion, continue, remainingItemCount), so anything else, or a body that
 * begins otherwise, says nothing and the caller waits for the whole page.
 */

/** The most of a body's head searched for its metadata; past it the head says nothing. */
export const LIST_HEAD_LIMIT = 64 * 1024;

const HEAD = /^\s*\{\s*(?:"(?:kind|apiVersion)"\s*:\s*"[^"\\]*"\s*,\s*)*"metadata"\s*:\s*(\{[^{}]*\})/;

/**
 * The continue token the head of a list body names: the token, `null` when the metadata is
 * whole and has none (the last page), undefined when the head does not (or not yet) say.
 */
export function continueOfHead(head: string): string | null | undefined {
  const metadata = HEAD.exec(head)?.[1];
  if (metadata === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  const token = (parsed as { continue?: unknown }).continue;
  if (token === undefined || token === '') return null;
  return typeof token === 'string' ? token : undefined;
}
