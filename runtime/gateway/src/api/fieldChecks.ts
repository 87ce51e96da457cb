import { hasUnstorableText } from '@cellport/plugin-platform-common';
import { GatewayError } from '../http/GatewayError';

/**
 * Small checks shared by the translating endpoints (Responses, Messages), each failure a 400
 * naming the field in the caller's API. `null` counts as absent, as it does for OpenAI.
 */

export type Json = Record<string, any>;

export function fail(param: string, what: string): never {
  throw GatewayError.invalid(`${param} ${what}`, param);
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') fail(param, 'must be a string');
  return value;
}

export function optionalString(value: unknown, param: string): void {
  if (present(value) && typeof value !== 'string') {
    fail(param, 'must be a string');
  }
}

export function optionalBoolean(value: unknown, param: string): void {
  if (present(value) && typeof value !== 'boolean') {
    fail(param, 'must be a boolean');
  }
}

export function optionalPositiveInteger(
  value: unknown,
  param: string,
): number | undefined {
  if (!present(value)) return undefined;
  if (!Number.isInteger(value) || (value as number) <= 0) {
    fail(param, 'must be a positive integer');
  }
  return value as number;
}

export function optionalNumber(
  value: unknown,
  param: string,
  min: number,
  max: number,
): void {
  if (
    present(value) &&
    (typeof value !== 'number' || !(value >= min && value <= max))
  ) {
    fail(param, `must be a number from ${min} to ${max}`);
  }
}

export function optionalInteger(
  value: unknown,
  param: string,
  min: number,
  max: number,
): void {
  if (
    present(value) &&
    (!Number.isInteger(value) ||
      (value as number) < min ||
      (value as number) > max)
  ) {
    fail(param, `must be an integer from ${min} to ${max}`);
  }
}

/**
 * Refuses every field of the object at `param` but `fields`, naming it: a field dropped
 * unread would let the caller believe it took effect.
 */
export function onlyFields(
  value: Json,
  param: string,
  fields: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) {
      fail(
        `${param}.${key}`,
        `is not a ${param.slice(param.lastIndexOf('.') + 1)} field (${
          fields.length === 1
            ? `only ${fields[0]} is`
            : `${fields.join(' and ')} are`
        })`,
      );
    }
  }
}

export function optionalOneOf(
  value: unknown,
  param: string,
  values: readonly string[],
): void {
  if (present(value) && !values.includes(value as string)) {
    fail(param, `must be one of ${values.join(', ')}`);
  }
}

/**
 * Content parts as a chat message's content: one text part as its string, more as the parts
 * themselves. Each part keeps its boundary, and the upstream joins them as it would had the
 * caller sent it the parts.
 */
export function chatContent(parts: Json[]): string | Json[] {
  if (parts.length === 0) return '';
  if (parts.length === 1 && parts[0].type === 'text') return parts[0].text;
  return parts;
}

/** The model, checked as the chat endpoint checks it. */
export function requireModel(body: Json): string {
  const model = body.model;
  if (
    typeof model !== 'string' ||
    model.length === 0 ||
    model.length > 200 ||
    hasUnstorableText(model)
  ) {
    fail(
      'model',
      'must be a non-empty string of at most 200 characters, without NUL characters or unpaired surrogates',
    );
  }
  return model;
}

/**
 * Runs the chat endpoint's checks on a translated body, naming a field they refuse in the
 * caller's API (`rename` maps a chat field, e.g. `tools.0.function.name`, to it).
 */
export function withFieldsRenamed<T>(
  check: () => T,
  rename: (chatParam: string) => string,
): T {
  try {
    return check();
  } catch (error) {
    const param = error instanceof GatewayError && error.options.param;
    if (!param || error.status !== 400) throw error;
    const renamed = rename(param);
    if (renamed === param) throw error;
    throw GatewayError.invalid(
      error.message.startsWith(param)
        ? `${renamed}${error.message.slice(param.length)}`
        : error.message,
      renamed,
    );
  }
}
