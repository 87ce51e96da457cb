import { z } from 'zod';

/**
 * A Cell's or InferenceDeployment's entity ref, e.g. `cell:default/eu-west-shared-1`; its kind
 * and existence are checked when it is resolved.
 */
const entityRef = z.string().min(1).max(255);

export const deployEntityQuery = z.object({ entityRef });

export const deployApplyBody = z.object(
  {
    entityRef,
    /**
     * Why to apply although the cell's availability error budget is spent or cannot be read (an incident fix, a
     * rollback). Audited with the apply.
     */
    overrideReason: z.string().max(2000).optional(),
  },
  { error: 'must be a JSON object' },
);

export const deployAuditQuery = z.object({
  entityRef: entityRef.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The entities whose first apply the platform backend asks for (its InferenceDeployments). */
export const firstAppliedBody = z.object(
  { entityRefs: z.array(entityRef).max(1000) },
  { error: 'must be a JSON object' },
);
