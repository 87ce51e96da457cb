/**
 * Why an embeddings answer's `data` cannot be relayed, or undefined: every item an object whose
 * `embedding` is a list or text (base64, which `encoding_format: base64` asks for) and whose
 * index, when given, is an integer. An answer that breaks these reaches callers as a success their SDK
 * cannot read. The vectors' numbers are not walked: parsing already read them as JSON.
 */
export function embeddingsProblem(items: unknown[]): string | undefined {
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return 'upstream answered with an embedding that is not an object';
    }
    const { embedding, index } = item as Record<string, unknown>;
    if (!Array.isArray(embedding) && typeof embedding !== 'string') {
      return 'upstream answered with an embedding that is neither a list nor base64 text';
    }
    if (index !== undefined && index !== null && !Number.isInteger(index)) {
      return 'upstream answered with an embedding whose index is not an integer';
    }
  }
  return undefined;
}
