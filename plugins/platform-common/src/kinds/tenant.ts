import { z } from 'zod';
import {
  classificationSchema,
  entityRefSchema,
  isolationSchema,
  positiveUsdSchema,
  rateLimitsSchema,
  regionSchema,
  tenantTierSchema,
} from './common';
import { platformEntitySchema } from './entity';

/**
 * A customer of the platform. Its isolation decides what kind of Cell hosts it; its residency
 * and classification bound every model route the gateway may pick for it.
 */
export const tenantSpecSchema = z
  .object({
    owner: entityRefSchema,
    displayName: z.string().min(1).max(100).optional(),
    tier: tenantTierSchema,
    isolation: isolationSchema,
    /**
     * The cell hosting the tenant, for tenants onboarded into a cell whose own entity does not
     * list them (a shared cell's file lives elsewhere). Either side's reference makes the
     * hostedBy / hosts relation.
     */
    cell: entityRefSchema.optional(),
    homeRegion: regionSchema,
    residency: z
      .object({
        /** When pinned, requests are served only by model profiles in `regions`. */
        pinned: z.boolean(),
        regions: z
          .array(regionSchema)
          .min(1, 'must list at least one region')
          .optional(),
      })
      .default({ pinned: false }),
    /** The most sensitive data class the tenant sends; models with a lower ceiling are never used. */
    dataClassification: classificationSchema,
    monthlyBudgetUsd: positiveUsdSchema,
    rateLimits: rateLimitsSchema,
    /** ModelProfiles the tenant may use. */
    modelAllowlist: z
      .array(entityRefSchema)
      .min(1, 'must allow at least one model profile'),
    /** Exact-match prompt-response caching; off unless the tenant's policy allows it (seed 001). */
    promptCache: z.boolean().default(false),
    /**
     * What the gateway's traces of the tenant's requests may hold: prompts and completions only
     * when the tenant opts in (OpenTelemetry GenAI's content capture); never by default.
     */
    telemetry: z
      .object({ captureContent: z.boolean().default(false) })
      .default({ captureContent: false }),
  })
  .superRefine((spec, ctx) => {
    if (
      spec.residency.pinned &&
      !spec.residency.regions?.includes(spec.homeRegion)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['residency', 'regions'],
        message: `must include the home region "${spec.homeRegion}" when residency is pinned`,
      });
    }
  });

export const tenantEntitySchema = platformEntitySchema(
  'Tenant',
  tenantSpecSchema,
  {
    dnsName: true,
    nameMaxLength: {
      max: 56,
      why: 'its namespace, tenant-<name>, is a Kubernetes name of at most 63',
    },
  },
);

export type TenantSpec = z.infer<typeof tenantSpecSchema>;
export type TenantEntity = z.infer<typeof tenantEntitySchema>;
