import { Config } from '@backstage/config';
import { readConfigSection } from '@cellport/plugin-platform-node';
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
  return readConfigSection(config, 'platform.deploy', deploySettingsSchema);
}
