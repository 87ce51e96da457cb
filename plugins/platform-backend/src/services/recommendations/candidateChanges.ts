import {
  AgentEntity,
  entityRefName,
  modelProfileRefusals,
  missingCapabilities,
  privateModelRefusal,
  RoutingPolicy,
} from '@cellport/plugin-platform-common';
import { PlatformEntities } from '@cellport/plugin-platform-node';

/** A change to one agent that a recommendation may propose, replayable as it stands. */
export interface CandidateChange {
  kind: 'policy' | 'preferred-models';
  /** In words: `policy balanced → cost`, `prefer azure-gpt-4o-mini-eu`. */
  summary: string;
  policy?: RoutingPolicy;
  preferredModels?: string[];
}

/** A profile of the tenant's allowlist an agent may not be moved to, and why. */
export interface ExcludedProfile {
  agent: string;
  modelProfile: string;
  reasons: string[];
}

export interface AgentCandidates {
  candidates: CandidateChange[];
  /** Profiles the tenant's allowlist names that the boundaries rule out for this agent. */
  excluded: ExcludedProfile[];
}

/** Cheaper policies first-to-last: quality weighs tiers most, cost prices most. */
const CHEAPER_POLICIES: Record<RoutingPolicy, RoutingPolicy[]> = {
  quality: ['balanced', 'cost'],
  balanced: ['cost'],
  cost: [],
};

/**
 * Said instead of the private-capacity rule's own words, which name the tenants the owning
 * cell hosts: a recommendation is read by the agent's tenant, who must not learn them.
 */
export const PRIVATE_CAPACITY_REASON =
  "private capacity of another tenant's cell, not shared with this tenant";

/**
 * The changes an agent's constraints allow: each cheaper routing policy, and each single
 * model profile the agent's tenant may use as its only preferred model. A profile is usable
 * when the tenant's allowlist names it, it serves the agent's model type and has every
 * capability the agent requires, and the platform's own rules accept it for the tenant:
 * private capacity (`privateModelRefusal`), residency and data classification
 * (`modelProfileRefusals`). A hand-edited allowlist naming another tenant's dedicated model
 * is therefore never a candidate, however cheap it is.
 */
export function candidateChanges(
  agent: AgentEntity,
  entities: PlatformEntities,
): AgentCandidates {
  const name = agent.metadata.name;
  const { spec } = agent;
  const candidates: CandidateChange[] = CHEAPER_POLICIES[
    spec.routing.policy
  ].map(policy => ({
    kind: 'policy',
    summary: `policy ${spec.routing.policy} → ${policy}`,
    policy,
  }));
  const excluded: ExcludedProfile[] = [];
  const tenantName = entityRefName(spec.tenant);
  const tenant = entities.tenants.find(t => t.metadata.name === tenantName);
  if (!tenant) return { candidates, excluded };

  const profiles = new Map(
    entities.modelProfiles.map(p => [p.metadata.name, p]),
  );
  const preferred = spec.modelProfiles.map(entityRefName);
  const modelType = profiles.get(preferred[0])?.spec.type ?? 'chat';
  const required = spec.routing.requiredCapabilities;
  for (const profileName of [
    ...new Set(tenant.spec.modelAllowlist.map(entityRefName)),
  ]) {
    const profile = profiles.get(profileName);
    if (!profile) continue;
    const reasons: string[] = [];
    if (privateModelRefusal(tenantName, profile, entities.isolation)) {
      reasons.push(PRIVATE_CAPACITY_REASON);
    }
    reasons.push(
      ...modelProfileRefusals(
        { name: profileName, spec: profile.spec },
        tenant.spec,
      ),
    );
    if (profile.spec.type !== modelType) {
      reasons.push(
        `${profileName} serves ${profile.spec.type}, the agent calls ${modelType}`,
      );
    }
    const missing = missingCapabilities(profile.spec, required);
    if (missing.length > 0) {
      reasons.push(
        `${profileName} lacks ${missing.join(', ')}, which the agent requires`,
      );
    }
    if (reasons.length > 0) {
      excluded.push({ agent: name, modelProfile: profileName, reasons });
      continue;
    }
    // Already its only preference: nothing to change.
    if (preferred.length === 1 && preferred[0] === profileName) continue;
    candidates.push({
      kind: 'preferred-models',
      summary: `prefer ${profileName} only (was ${preferred.join(', ')})`,
      preferredModels: [profileName],
    });
  }
  return { candidates, excluded };
}
