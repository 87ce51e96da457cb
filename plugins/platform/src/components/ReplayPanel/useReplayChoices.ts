import { Entity } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { entityRefName } from '@cellport/plugin-platform-common';
import useAsync from 'react-use/esm/useAsync';

/** What the "What if…" form offers: from the catalog, the entities the replay's scope holds. */
export interface ReplayChoices {
  agents: Array<{ name: string; tenant: string }>;
  tenants: Array<{ name: string; allowlist: string[] }>;
  profiles: Array<{
    name: string;
    inputPerMillionUsd?: number;
    outputPerMillionUsd?: number;
  }>;
}

const spec = (entity: Entity) => (entity.spec ?? {}) as Record<string, any>;
const refOf = (value: unknown) =>
  typeof value === 'string' ? entityRefName(value) : '';

/**
 * The agents and tenants of a cell (or the one agent and its tenant), and every model profile:
 * a replay names entities, and the backend refuses a name the catalog does not have.
 */
export function useReplayChoices(scope: { cell?: string; agent?: string }) {
  const catalogApi = useApi(catalogApiRef);
  return useAsync(async (): Promise<ReplayChoices> => {
    const [agents, tenants, profiles] = await Promise.all(
      ['Agent', 'Tenant', 'ModelProfile'].map(kind =>
        catalogApi
          .getEntities({ filter: { kind } })
          .then(response => response.items),
      ),
    );
    const inScope = agents.filter(a =>
      scope.agent
        ? a.metadata.name === scope.agent
        : refOf(spec(a).cell) === scope.cell,
    );
    const tenantNames = new Set(inScope.map(a => refOf(spec(a).tenant)));
    return {
      agents: inScope
        .map(a => ({ name: a.metadata.name, tenant: refOf(spec(a).tenant) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      tenants: tenants
        .filter(
          t =>
            tenantNames.has(t.metadata.name) ||
            (!scope.agent && refOf(spec(t).cell) === scope.cell),
        )
        .map(t => ({
          name: t.metadata.name,
          allowlist: ((spec(t).modelAllowlist ?? []) as string[]).map(
            entityRefName,
          ),
        })),
      profiles: profiles
        .map(p => ({
          name: p.metadata.name,
          inputPerMillionUsd: spec(p).pricing?.inputPerMillionUsd,
          outputPerMillionUsd: spec(p).pricing?.outputPerMillionUsd,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }, [catalogApi, scope.cell, scope.agent]);
}
