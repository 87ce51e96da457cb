import { z } from 'zod';
import { gatewayApiKeySchema } from './contract/gatewayState';
import { formatValidationIssues, toValidationIssues } from './kinds/registry';

/**
 * Annotation on a Tenant or an Agent listing its API keys: a JSON array of `{sha256, prefix,
 * agent?, expiresAt?, createdAt?}`, written by the scaffolder's `cellport:tenant:create-api-key`
 * and `cellport:agent:create-api-key`. On an Agent every key is bound to that agent (and its
 * tenant). Keys themselves never reach the catalog: the reconciler provisions gateways from
 * the hashes, and the portal shows only the prefixes.
 */
export const API_KEYS_ANNOTATION = 'cellport.dev/api-keys';

/** One entry of the annotation: a gateway API key without its tenant (the entity is it). */
export const annotatedApiKeySchema = gatewayApiKeySchema
  .omit({ tenant: true })
  .extend({
    /** When the key was made; shown on the Tenant and Agent pages, not sent to gateways. */
    createdAt: z.iso.datetime({ offset: true }).optional(),
  });
export type AnnotatedApiKey = z.infer<typeof annotatedApiKeySchema>;

/**
 * Reads the annotation's value: no annotation is no keys; a value that is not JSON or not a
 * list of keys is an error naming the entry and field at fault.
 */
export function parseApiKeysAnnotation(
  value: string | undefined,
): { ok: true; keys: AnnotatedApiKey[] } | { ok: false; error: string } {
  if (value === undefined || value.trim() === '') return { ok: true, keys: [] };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, error: `${API_KEYS_ANNOTATION} is not JSON` };
  }
  const parsed = z.array(annotatedApiKeySchema).safeParse(json);
  return parsed.success
    ? { ok: true, keys: parsed.data }
    : {
        ok: false,
        error: `${API_KEYS_ANNOTATION}: ${formatValidationIssues(
          toValidationIssues(parsed.error),
        )}`,
      };
}
