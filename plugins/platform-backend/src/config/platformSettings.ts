import { Config } from '@backstage/config';
import {
  entityRefSchema,
  gatewayApiKeySchema,
} from '@cellport/plugin-platform-common';
import { readConfigSection } from '@cellport/plugin-platform-node';
import { z } from 'zod';

const count = z.number().int().positive();
const positive = z.number().positive();

/**
 * The `platform` section of app-config as the services read it, with every default written
 * once, here (`config.d.ts` documents them). Each service takes its part in its `fromConfig`;
 * keys read by other packages (the demo and local-runtime modules) pass through untouched.
 */
const platformSettingsSchema = z.object({
  retention: z
    .object({
      rawDays: count.default(30),
      minuteRollupDays: count.default(7),
      hourRollupDays: count.default(400),
      purgeIntervalMinutes: count.default(60),
    })
    .prefault({}),
  ingest: z
    .object({
      cellsBySubject: z
        .record(z.string().min(1), z.array(z.string().min(1)).min(1))
        .optional(),
    })
    .prefault({}),
  nats: z
    .object({
      enabled: z.boolean().default(false),
      servers: z
        .union([z.string(), z.array(z.string()).min(1)])
        .default(['nats://127.0.0.1:4222'])
        .transform(servers => ([] as string[]).concat(servers)),
      stream: z.string().min(1).default('CELLPORT_EVENTS'),
      subjects: z
        .array(z.string().min(1))
        .min(1)
        .default(['cellport.events.>']),
      durable: z.string().min(1).default('platform-backend'),
      batchSize: count.default(16),
      retryDelayMs: count.default(5000),
    })
    .prefault({}),
  apiKeys: z
    .object({
      revealHours: positive.default(24),
      rotationGraceHours: positive.default(24),
    })
    .prefault({}),
  cost: z
    .object({
      gpuSampling: z
        .object({ intervalMinutes: positive.default(5) })
        .prefault({}),
    })
    .prefault({}),
  reconciler: z
    .object({
      enabled: z.boolean().default(true),
      intervalSeconds: positive.default(30),
      adminToken: z.string().min(1).optional(),
      gateways: z
        .record(
          z.string(),
          z.object({
            baseUrl: z.string().min(1).optional(),
            adminToken: z.string().min(1).optional(),
          }),
        )
        .default({}),
      apiKeys: z.array(gatewayApiKeySchema).default([]),
      initialBackoffSeconds: positive.default(5),
      maxBackoffSeconds: positive.default(300),
      requestTimeoutSeconds: positive.default(10),
    })
    .prefault({}),
  alerts: z
    .object({
      webhookToken: z.string().min(1).optional(),
      // Who hears of an alert whose cell the catalog does not have: never nobody.
      fallbackOwner: entityRefSchema.default('group:default/platform-sre'),
    })
    .prefault({}),
  replay: z
    .object({
      maxDecisions: count.default(5_000_000),
      maxRunning: count.default(2),
    })
    .prefault({}),
  recommendations: z
    .object({
      maxDays: count.default(14),
      maxReplays: count.default(40),
      // Each candidate is one replay of one agent's days; a longer one is cut and its saving
      // scaled from what it read, so one request stays within ~10M decisions (40 × 250k).
      maxDecisionsPerReplay: count.default(250_000),
    })
    .prefault({}),
});

export type PlatformSettings = z.infer<typeof platformSettingsSchema>;

/**
 * Reads and checks `platform.*`: a bad value stops the start with every problem named by its
 * key, e.g. `platform.retention.rawDays: expected a number`.
 */
export function readPlatformSettings(config: Config): PlatformSettings {
  return readConfigSection(config, 'platform', platformSettingsSchema);
}
