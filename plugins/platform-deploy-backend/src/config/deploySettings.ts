import { Config } from '@backstage/config';
import {
  formatValidationIssues,
  toValidationIssues,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';

/** `platform.deploy` as the driver reads it, with its defaults (`config.d.ts` documents them). */
const deploySettingsSchema = z.object({
  requestTimeoutSeconds: z.number().positive().default(30),
  images: z
    .object({
      gateway: z.string().min(1).optional(),
      vllm: z.string().min(1).optional(),
    })
    .default({}),
});

export type DeploySettings = z.infer<typeof deploySettingsSchema>;

/**
 * Reads and checks `platform.deploy`: a bad value stops the start naming its key, e.g.
 * `platform.deploy.requestTimeoutSeconds: expected a number`.
 */
export function readDeploySettings(config: Config): DeploySettings {
  const parsed = deploySettingsSchema.safeParse(
    config.getOptional('platform.deploy') ?? {},
    { reportInput: true },
  );
  if (!parsed.success) {
    throw new Error(
      `Invalid configuration: ${formatValidationIssues(
        toValidationIssues(parsed.error).map(issue => ({
          ...issue,
          path: issue.path
            ? `platform.deploy.${issue.path}`
            : 'platform.deploy',
        })),
      )}`,
    );
  }
  return parsed.data;
}
