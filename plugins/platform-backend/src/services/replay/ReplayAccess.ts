import { NotAllowedError } from '@backstage/errors';
import { Knex } from 'knex';
import { TenantAccess, TenantScope } from '../access/TenantAccess';
import type { DecisionScope } from './DecisionStream';
import type { ReplayJobView } from './ReplayJobs';
import { PlatformEntities } from '@cellport/plugin-platform-node';
import { entityRefName, hostedTenants } from '@cellport/plugin-platform-common';

/**
 * Who may replay what: a replay shows decisions, so it needs what reading them needs. A caller
 * restricted to some tenants may replay an agent of one of them, and a cell only when every
 * decision the replay would read (in the cell and range) is of a tenant it may read: a shared
 * cell's totals, tiers and changed routes would otherwise show other tenants' traffic.
 */
export class ReplayAccess {
  constructor(
    private readonly db: Knex,
    private readonly catalog: {
      entities(): Promise<PlatformEntities>;
    },
  ) {}

  async check(tenants: TenantScope, scope: DecisionScope): Promise<void> {
    if (tenants.all) return;
    const entities = await this.catalog.entities();
    if (scope.agent !== undefined) {
      const agent = entities.agents.find(a => a.metadata.name === scope.agent);
      if (agent)
        TenantAccess.restrict(tenants, entityRefName(agent.spec.tenant));
    } else {
      // A cell that hosts another tenant, or none of the caller's, is not the caller's to
      // replay, even over a range without decisions.
      const cell = entities.cells.find(c => c.metadata.name === scope.cell);
      const hosted = cell ? hostedTenants(cell, entities.tenants) : [];
      if (
        hosted.length === 0 ||
        hosted.some(tenant => !tenants.tenants.includes(tenant))
      ) {
        throw new NotAllowedError(
          `Not allowed to replay cell "${scope.cell}": it hosts tenants you may not read`,
        );
      }
    }
    // One indexed probe: the first decision in the scope of a tenant the caller may not read.
    const query = this.db('platform_routing_decisions')
      .first('tenant')
      .where('cell', scope.cell)
      .andWhere('ts', '>=', scope.from)
      .andWhere('ts', '<', scope.to);
    if (scope.agent !== undefined) query.andWhere('agent', scope.agent);
    if (tenants.tenants.length > 0) {
      query.whereNotIn('tenant', tenants.tenants);
    }
    const other = await query;
    if (other) {
      throw new NotAllowedError(
        scope.agent !== undefined
          ? `Not allowed to replay agent "${scope.agent}": its decisions include another tenant's`
          : `Not allowed to replay cell "${scope.cell}": it holds decisions of tenants you may not read`,
      );
    }
  }

  /**
   * The job as this caller may see it. The reconciler's warnings are about the whole cell's
   * state (another tenant's agents, API key prefixes): a restricted caller sees only those that
   * name no tenant outside its scope and no key.
   */
  async redact(
    tenants: TenantScope,
    job: ReplayJobView,
  ): Promise<ReplayJobView> {
    if (tenants.all || !job.result) return job;
    const allowed = new Set(tenants.tenants);
    const others = (await this.catalog.entities()).tenants
      .map(t => t.metadata.name)
      .filter(name => !allowed.has(name));
    const warnings = job.result.warnings.filter(
      text =>
        !text.includes('API key') &&
        !others.some(name => text.includes(`"${name}"`)),
    );
    return { ...job, result: { ...job.result, warnings } };
  }
}
