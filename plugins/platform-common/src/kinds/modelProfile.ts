import { z } from 'zod';
import {
  Capability,
  capabilitySchema,
  classificationSchema,
  entityRefSchema,
  regionSchema,
} from './common';
import { boundedInt, boundedNumber, contextLengthSchema } from './bounds';
import { platformEntitySchema } from './entity';

/** The wire protocol the gateway speaks to a profile's endpoint. */
export const providerSchema = z.enum([
  'openai',
  'azure-openai',
  'anthropic',
  'together',
  'moonshot',
  'vllm',
  'simulator',
]);
export type Provider = z.infer<typeof providerSchema>;

/**
 * What a profile can serve: its declared features, and `logprobs` wherever its protocol
 * carries them (every OpenAI-compatible API returns them). `custom-tools` (free-form tools)
 * is declared, as `tools` is: OpenAI's API takes them for some models only (the GPT-5
 * family), vLLM's schema not at all. The gateway speaks to Anthropic's Messages API without
 * `logprobs` (it has no such field), `json-mode` (a chat `response_format` has no translation
 * there) or `custom-tools` (its tools all take a JSON object; a free-form input and its
 * grammar have no translation): an Anthropic profile would drop them or be refused, so it
 * never has them, whatever its entity declares.
 */
export function profileFeatures(
  provider: Provider,
  declared: readonly Capability[],
): Set<Capability> {
  const features = new Set(declared);
  if (provider === 'anthropic') {
    features.delete('logprobs');
    features.delete('json-mode');
    features.delete('custom-tools');
  } else features.add('logprobs');
  return features;
}

/**
 * The capabilities of `required` a profile cannot serve, judged as the gateway's router judges
 * them (`profileFeatures`): the one rule for every check before a request is ever routed
 * (agent registration, agent changes, recommendations).
 */
export function missingCapabilities(
  profile: {
    provider: Provider;
    capabilities?: { features?: readonly Capability[] };
  },
  required: readonly Capability[],
): Capability[] {
  const features = profileFeatures(
    profile.provider,
    profile.capabilities?.features ?? [],
  );
  return required.filter(capability => !features.has(capability));
}

/** Relative quality of a model, used by the router's quality and balanced policies. */
export const qualityTierSchema = z.enum(['frontier', 'standard', 'economy']);
export type QualityTier = z.infer<typeof qualityTierSchema>;

/**
 * What a model serves: `chat` answers `/v1/chat/completions`, `embeddings` answers
 * `/v1/embeddings`. The gateway routes each endpoint only to profiles of its type.
 */
export const modelTypeSchema = z.enum(['chat', 'embeddings']);
export type ModelType = z.infer<typeof modelTypeSchema>;

/**
 * The model id an upstream expects, sent as it is in every request's body (and, for Azure
 * OpenAI, in its path): no control character (C0 or DEL), since an upstream knows no model
 * whose name holds one and would refuse every request. A pattern, so the forms' JSON Schema
 * carries the rule too.
 */
export const upstreamModelSchema = z
  .string()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  .regex(/^[^\x00-\x1f\x7f]*$/, 'must not hold a control character');

/**
 * A model the gateway can route to: a hosted API or a self-hosted InferenceDeployment. Prices
 * are in US dollars per million tokens; `maxClassification` is the most sensitive data class
 * that may be sent to it.
 */
export const modelProfileSpecSchema = z.object({
  owner: entityRefSchema,
  /** Chat unless said otherwise. */
  type: modelTypeSchema.default('chat'),
  provider: providerSchema,
  /** The model id the upstream expects (for Azure OpenAI, the deployment name). */
  model: upstreamModelSchema,
  endpoint: z.url({ error: 'must be an http(s) URL' }),
  region: regionSchema,
  qualityTier: qualityTierSchema,
  capabilities: z.object({
    contextLength: contextLengthSchema,
    maxOutputTokens: contextLengthSchema,
    features: z.array(capabilitySchema).default([]),
    /**
     * The most tokens one image in a prompt counts at this model, where it is above the
     * gateway's default allowance of 3,000 (gpt-4o-mini bills a high-detail image at up to
     * 48,169 tokens, priced to match gpt-4o): budgets reserve it for every image.
     */
    imageTokens: boundedInt({ min: 1, max: 1_000_000 }).optional(),
  }),
  /** Up to $10,000 per million tokens: a hundred times the dearest model sold today. */
  pricing: z.object({
    inputPerMillionUsd: boundedNumber({ min: 0, max: 10_000 }),
    outputPerMillionUsd: boundedNumber({ min: 0, max: 10_000 }),
  }),
  maxClassification: classificationSchema,
  dataRetention: z.object({
    /** Days the provider keeps prompts and completions; 0 means zero retention, at most a century. */
    days: boundedInt({ min: 0, max: 36_500 }),
    usedForTraining: z.boolean(),
  }),
  /**
   * Who besides the tenants of its cell may use a profile served by a dedicated or
   * customer-VPC InferenceDeployment. Absent, such a profile is private to its cell's tenants
   * (`privateModelRefusal`); hosted APIs ignore it.
   */
  sharing: z
    .object({
      allTenants: z.boolean().default(false),
      tenants: z.array(entityRefSchema).default([]),
    })
    .optional(),
});

export const modelProfileEntitySchema = platformEntitySchema(
  'ModelProfile',
  modelProfileSpecSchema,
);

export type ModelProfileSpec = z.infer<typeof modelProfileSpecSchema>;
export type ModelProfileEntity = z.infer<typeof modelProfileEntitySchema>;
