import { InputError } from '@backstage/errors';
import {
  entityRefName,
  regionSchema,
  routingPolicySchema,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';
import { PlatformEntities } from '@cellport/plugin-platform-node';

const nameSchema = z.string().min(1).max(255);
/**
 * Changes by entity name. A `__proto__` key, which parsing would drop without a word (the
 * change replayed as if it named nothing), is refused by name as any unknown name is.
 */
function byName<T extends z.ZodType>(change: T) {
  return z.preprocess((input, ctx) => {
    if (
      input !== null &&
      typeof input === 'object' &&
      Object.prototype.hasOwnProperty.call(input, '__proto__')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['__proto__'],
        message: 'is not the name of a catalog entity',
      });
    }
    return input;
  }, z.record(nameSchema, change));
}
const priceSchema = z.number().nonnegative().max(100_000);

/**
 * A change to desired state proposed for a replay, by entity name. It is applied to the
 * catalog's entities, not to a gateway document, so the proposed state goes through the same
 * reconciler rules (hosted tenants, private capacity) as a merged change would.
 */
export const proposedChangeSchema = z
  .object({
    agents: byName(
      z
        .object({
          policy: routingPolicySchema.optional(),
          /** The agent's model profiles in order of preference. */
          preferredModels: z.array(nameSchema).min(1).max(50).optional(),
          fallbackChain: z.array(nameSchema).max(50).optional(),
          maxFallbacks: z.int().min(0).max(5).optional(),
        })
        .strict(),
    ).optional(),
    tenants: byName(
      z
        .object({
          allowedModels: z.array(nameSchema).max(500).optional(),
          /** Regions the tenant's requests may be served from; empty unpins it. */
          residencyRegions: z.array(regionSchema).max(50).optional(),
        })
        .strict(),
    ).optional(),
    modelProfiles: byName(
      z
        .object({
          inputPerMillionUsd: priceSchema.optional(),
          outputPerMillionUsd: priceSchema.optional(),
          /** Gone from the catalog: no tenant or agent may use it. */
          removed: z.boolean().optional(),
          /** An outage: still in the state, but its circuit refuses every call. */
          down: z.boolean().optional(),
        })
        .strict(),
    ).optional(),
  })
  .strict();
export type ProposedChange = z.infer<typeof proposedChangeSchema>;

/** Parses a proposed change; an InputError names the first field at fault. */
export function parseProposedChange(input: unknown): ProposedChange {
  const parsed = proposedChangeSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `change.${issue.path.join('.')}: ${issue.message}`.replace(/\.:/, ':'),
    );
  }
  return parsed.data;
}

export function isEmptyChange(change: ProposedChange): boolean {
  return (
    Object.keys(change.agents ?? {}).length === 0 &&
    Object.keys(change.tenants ?? {}).length === 0 &&
    Object.keys(change.modelProfiles ?? {}).length === 0
  );
}

/** Profiles the change takes down (an outage), to be replayed with their circuit open. */
export function downProfiles(change: ProposedChange): string[] {
  return Object.entries(change.modelProfiles ?? {})
    .filter(([, profile]) => profile.down)
    .map(([name]) => name);
}

/** A proposed list of regions as the tenant's residency: pinned to them, or unpinned if none. */
function residencyOf(
  regions: string[] | undefined,
  current: TenantEntity['spec']['residency'],
): TenantEntity['spec']['residency'] {
  if (regions === undefined) return current;
  return regions.length === 0 ? { pinned: false } : { pinned: true, regions };
}

/**
 * The entities with the change applied, leaving the originals untouched. Every name must
 * exist in the catalog: an InputError names the one that does not.
 */
export function applyProposedChange(
  entities: PlatformEntities,
  change: ProposedChange,
): PlatformEntities {
  const profiles = new Set(entities.modelProfiles.map(p => p.metadata.name));
  const removed = new Set(
    Object.entries(change.modelProfiles ?? {})
      .filter(([, profile]) => profile.removed)
      .map(([name]) => name),
  );
  const known = (names: string[] | undefined, field: string) => {
    for (const [index, name] of (names ?? []).entries()) {
      if (!profiles.has(entityRefName(name))) {
        throw new InputError(
          `${field}.${index}: model profile "${name}" is not in the catalog`,
        );
      }
    }
  };
  const keep = (refs: string[]) =>
    refs.filter(ref => !removed.has(entityRefName(ref)));
  for (const name of Object.keys(change.modelProfiles ?? {})) {
    if (!profiles.has(name)) {
      throw new InputError(
        `change.modelProfiles.${name}: model profile "${name}" is not in the catalog`,
      );
    }
  }

  const agentNames = new Set(entities.agents.map(a => a.metadata.name));
  for (const [name, agent] of Object.entries(change.agents ?? {})) {
    if (!agentNames.has(name)) {
      throw new InputError(
        `change.agents.${name}: agent "${name}" is not in the catalog`,
      );
    }
    known(agent.preferredModels, `change.agents.${name}.preferredModels`);
    known(agent.fallbackChain, `change.agents.${name}.fallbackChain`);
  }
  const tenantNames = new Set(entities.tenants.map(t => t.metadata.name));
  for (const [name, tenant] of Object.entries(change.tenants ?? {})) {
    if (!tenantNames.has(name)) {
      throw new InputError(
        `change.tenants.${name}: tenant "${name}" is not in the catalog`,
      );
    }
    known(tenant.allowedModels, `change.tenants.${name}.allowedModels`);
  }

  return {
    ...entities,
    modelProfiles: entities.modelProfiles
      .filter(profile => !removed.has(profile.metadata.name))
      .map(profile => {
        const prices = change.modelProfiles?.[profile.metadata.name];
        if (
          prices?.inputPerMillionUsd === undefined &&
          prices?.outputPerMillionUsd === undefined
        ) {
          return profile;
        }
        return {
          ...profile,
          spec: {
            ...profile.spec,
            pricing: {
              ...profile.spec.pricing,
              inputPerMillionUsd:
                prices.inputPerMillionUsd ??
                profile.spec.pricing.inputPerMillionUsd,
              outputPerMillionUsd:
                prices.outputPerMillionUsd ??
                profile.spec.pricing.outputPerMillionUsd,
            },
          },
        };
      }),
    agents: entities.agents.map(agent => {
      const proposed = change.agents?.[agent.metadata.name];
      const { spec } = agent;
      return {
        ...agent,
        spec: {
          ...spec,
          modelProfiles: keep(proposed?.preferredModels ?? spec.modelProfiles),
          routing: {
            ...spec.routing,
            policy: proposed?.policy ?? spec.routing.policy,
            fallbackChain: keep(
              proposed?.fallbackChain ?? spec.routing.fallbackChain,
            ),
            maxFallbacks: proposed?.maxFallbacks ?? spec.routing.maxFallbacks,
          },
        },
      };
    }),
    tenants: entities.tenants.map(tenant => {
      const proposed = change.tenants?.[tenant.metadata.name];
      const { spec } = tenant;
      return {
        ...tenant,
        spec: {
          ...spec,
          modelAllowlist: keep(proposed?.allowedModels ?? spec.modelAllowlist),
          residency: residencyOf(proposed?.residencyRegions, spec.residency),
        },
      };
    }),
  };
}
