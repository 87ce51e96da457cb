/**
 * How many embeddings an (already checked) `input` asks for, in OpenAI's four shapes: a
 * string, strings, one token-id array, token-id arrays.
 */
function inputCount(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  return typeof input[0] === 'number' ? 1 : input.length;
}

/**
 * Why an embeddings answer's `data` cannot be relayed, or undefined: an item for each input
 * of the request's `input` (at least one), every item an object whose `embedding` is a list
 * or text (base64, which `encoding_format: base64` asks for) and whose index, when given, is
 * an integer. An answer that breaks these reaches callers as a success their SDK cannot read,
 * or one without the vectors they paid for. More items than inputs pass: the simulator embeds
 * a single token-id array id by id. The vectors' numbers are not walked: parsing already read
 * them as JSON.
 */
export function embeddingsProblem(
  items: unknown[],
  input: unknown,
): string | undefined {
  const inputs = inputCount(input);
  if (items.length === 0 || items.length < inputs) {
    return `upstream answered with ${items.length} embeddings for ${inputs} inputs`;
  }
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
