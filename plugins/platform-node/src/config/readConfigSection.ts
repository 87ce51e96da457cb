import { Config } from '@backstage/config';
import {
  formatValidationIssues,
  toValidationIssues,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';

/**
 * Reads and checks the configuration under `key` (absent reads as `{}`, so the schema's
 * defaults apply): a bad value stops the start with every problem named by its full key, e.g.
 * `platform.retention.rawDays: expected a number`.
 */
export function readConfigSection<T extends z.ZodType>(
  config: Config,
  key: string,
  schema: T,
): z.infer<T> {
  // With the input on each issue, a missing key reads apart from a wrong one.
  const parsed = schema.safeParse(config.getOptional(key) ?? {}, {
    reportInput: true,
  });
  if (!parsed.success) {
    throw new Error(
      `Invalid configuration: ${formatValidationIssues(
        toValidationIssues(parsed.error).map(issue => ({
          ...issue,
          path: issue.path ? `${key}.${issue.path}` : key,
        })),
      )}`,
    );
  }
  return parsed.data;
}
