import { InputError } from '@backstage/errors';
import {
  formatValidationIssues,
  toValidationIssues,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';

/** Parses input with a schema; a mismatch is a 400 that names the field and what is wrong. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.infer<T> {
  // With the input on each issue, a value of the wrong type is not reported as missing.
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) {
    throw new InputError(
      `Invalid ${what}: ${formatValidationIssues(
        toValidationIssues(result.error),
      )}`,
    );
  }
  return result.data;
}
