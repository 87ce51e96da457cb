import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** How one simulated model behaves. */
export const modelBehaviourSchema = z.object({
  id: z.string().min(1).max(200),
  /** Milliseconds before the first token. */
  ttftMs: z.number().nonnegative().default(150),
  /** Output speed; 0 means as fast as the socket takes them. */
  tokensPerSecond: z.number().nonnegative().default(80),
  /** Fraction of requests answered with a 500, drawn from the seeded PRNG. */
  errorRate: z.number().min(0).max(1).default(0),
  maxOutputTokens: z.int().positive().default(4096),
  embeddingDimensions: z.int().positive().max(8192).default(256),
  /** Leave `usage` out of answers, as some OpenAI-compatible servers do. */
  omitUsage: z.boolean().default(false),
  /**
   * How prompt tokens are counted: `approximate`, about four characters a token; `utf8-bytes`,
   * one token per UTF-8 byte, the most any byte-level tokenizer counts (CJK, emoji and control
   * characters come close to it), for testing budgets against the worst prompt.
   */
  promptTokens: z.enum(['approximate', 'utf8-bytes']).default('approximate'),
  /**
   * Ignore the request's `max_tokens` and answer with `maxOutputTokens` tokens: an upstream that
   * ignores it, at its worst.
   */
  ignoreMaxTokens: z.boolean().default(false),
});
export type ModelBehaviour = z.infer<typeof modelBehaviourSchema>;

export const simulatorConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(7070),
  seed: z.int().default(42),
  /** Required on /admin routes when set. */
  adminToken: z.string().min(1).optional(),
  /** Behaviour of any model not listed in `models`; the simulator serves every model name. */
  defaults: modelBehaviourSchema.omit({ id: true }).default({
    ttftMs: 150,
    tokensPerSecond: 80,
    errorRate: 0,
    maxOutputTokens: 4096,
    embeddingDimensions: 256,
    omitUsage: false,
    promptTokens: 'approximate',
    ignoreMaxTokens: false,
  }),
  models: z.array(modelBehaviourSchema).default([]),
});
export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;
export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>;

/** Validates a config, naming the first bad field in the error. */
export function parseSimulatorConfig(input: unknown): SimulatorConfig {
  const result = simulatorConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `invalid simulator config at "${issue.path.join('.') || '(root)'}": ${
        issue.message
      }`,
    );
  }
  return result.data;
}

function numberFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new Error(
      `environment variable ${name} must be a number, got "${raw}"`,
    );
  }
  return value;
}

/**
 * Reads the config from environment variables. SIMULATOR_CONFIG_FILE names a JSON file with
 * the same shape as `simulatorConfigSchema`; single variables override it.
 */
export function readSimulatorConfigFromEnv(
  env: NodeJS.ProcessEnv,
): SimulatorConfig {
  let base: Record<string, unknown> = {};
  if (env.SIMULATOR_CONFIG_FILE) {
    try {
      base = JSON.parse(readFileSync(env.SIMULATOR_CONFIG_FILE, 'utf8'));
    } catch (error) {
      throw new Error(
        `cannot read SIMULATOR_CONFIG_FILE ${env.SIMULATOR_CONFIG_FILE}: ${
          (error as Error).message
        }`,
      );
    }
  }
  const defaults = { ...(base.defaults as object | undefined) } as Record<
    string,
    number
  >;
  const ttft = numberFromEnv(env, 'SIMULATOR_TTFT_MS');
  const tps = numberFromEnv(env, 'SIMULATOR_TOKENS_PER_SECOND');
  const errorRate = numberFromEnv(env, 'SIMULATOR_ERROR_RATE');
  if (ttft !== undefined) defaults.ttftMs = ttft;
  if (tps !== undefined) defaults.tokensPerSecond = tps;
  if (errorRate !== undefined) defaults.errorRate = errorRate;
  return parseSimulatorConfig({
    ...base,
    host: env.SIMULATOR_HOST ?? base.host,
    port: numberFromEnv(env, 'SIMULATOR_PORT') ?? base.port,
    seed: numberFromEnv(env, 'SIMULATOR_SEED') ?? base.seed,
    adminToken: env.SIMULATOR_ADMIN_TOKEN || base.adminToken,
    defaults: Object.keys(defaults).length > 0 ? defaults : undefined,
  });
}
