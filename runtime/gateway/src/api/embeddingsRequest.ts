import { GatewayError } from '../http/GatewayError';
import { requireModel } from './fieldChecks';

/** OpenAI's limit on the inputs of one embeddings request. */
const MAX_INPUTS = 2048;

const INPUT_SHAPE =
  'input must be a non-empty string, an array of 1 to 2048 non-empty strings, a non-empty array of token ids or an array of 1 to 2048 non-empty token-id arrays';

/** An embeddings `input`: its texts, or the token ids it gives (a token each) and in how many inputs. */
export interface EmbeddingsInput {
  texts: string[];
  tokenIds: number;
  tokenInputs: number;
}

function fail(param: string, what: string): never {
  throw GatewayError.invalid(`${param} ${what}`, param);
}

// Safe integers only: a float-sized integer (1e300) is no token id or vector size, and the
// upstream would refuse it without naming the field.
function isTokenId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Checks a token-id array one level deep (its items must be integers, not arrays). */
function checkTokens(tokens: unknown[], param: string): void {
  if (tokens.length === 0) fail(param, 'must not be empty');
  for (let i = 0; i < tokens.length; i++) {
    if (!isTokenId(tokens[i])) {
      fail(`${param}.${i}`, 'must be a non-negative integer token id');
    }
  }
}

/**
 * An embeddings `input` in OpenAI's four shapes: a string, strings, one token array (as long
 * as the model's context: 2,048 is the most inputs, not ids), token arrays. Token ids are
 * counted, not sized as text: each is one token, whatever its digits. Throws a 400 naming the
 * item at fault.
 */
function readInput(input: unknown): EmbeddingsInput {
  if (typeof input === 'string') {
    if (input.length === 0) fail('input', 'must not be an empty string');
    return { texts: [input], tokenIds: 0, tokenInputs: 0 };
  }
  if (!Array.isArray(input) || input.length === 0) {
    throw GatewayError.invalid(INPUT_SHAPE, 'input');
  }
  const first = input[0];
  if (isTokenId(first)) {
    checkTokens(input, 'input');
    return { texts: [], tokenIds: input.length, tokenInputs: 1 };
  }
  if (input.length > MAX_INPUTS) {
    throw GatewayError.invalid(INPUT_SHAPE, 'input');
  }
  if (typeof first === 'string') {
    for (let i = 0; i < input.length; i++) {
      if (typeof input[i] !== 'string' || input[i].length === 0) {
        fail(`input.${i}`, 'must be a non-empty string');
      }
    }
    return { texts: input as string[], tokenIds: 0, tokenInputs: 0 };
  }
  if (Array.isArray(first)) {
    let tokenIds = 0;
    for (let i = 0; i < input.length; i++) {
      const tokens = input[i];
      if (!Array.isArray(tokens))
        fail(`input.${i}`, 'must be a token-id array');
      checkTokens(tokens, `input.${i}`);
      tokenIds += tokens.length;
    }
    return { texts: [], tokenIds, tokenInputs: input.length };
  }
  throw GatewayError.invalid(INPUT_SHAPE, 'input');
}

/** Validates an embeddings request as OpenAI does and returns its input. */
export function embeddingsInput(
  body: Record<string, unknown>,
): EmbeddingsInput {
  requireModel(body);
  const input = readInput(body.input);
  const dimensions = body.dimensions;
  if (
    dimensions !== undefined &&
    dimensions !== null &&
    (!Number.isSafeInteger(dimensions) || (dimensions as number) < 1)
  ) {
    fail('dimensions', 'must be a positive integer');
  }
  const format = body.encoding_format;
  if (
    format !== undefined &&
    format !== null &&
    format !== 'float' &&
    format !== 'base64'
  ) {
    fail('encoding_format', 'must be float or base64');
  }
  if (
    body.user !== undefined &&
    body.user !== null &&
    typeof body.user !== 'string'
  ) {
    fail('user', 'must be a string');
  }
  return input;
}
