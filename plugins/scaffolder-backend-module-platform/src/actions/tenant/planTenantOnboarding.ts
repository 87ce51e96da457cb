import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { buildTenantOnboarding } from './buildTenantOnboarding';
import { planOncePerRun } from '../planOncePerRun';
import { allowlistProblems, sharedCellProblems } from './checkTenantPlacement';
import { examples } from './planTenantOnboarding.examples';
import { loadIsolationCatalog } from '../loadIsolationCatalog';

const ref = (value: string, defaultKind: string) =>
  stringifyEntityRef(
    parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
  );

/**
 * `cellport:tenant:plan` checks an onboarding before anything is written: the Tenant (and, for
 * dedicated and customer-VPC isolation, its new Cell) against the platform schemas; that the
 * names are free; that a shared cell is shared, in the tenant's region and has room; and that
 * every allowlisted model profile respects the tenant's residency and classification. Every
 * problem found is reported at once, naming its field. It has no side effects.
 */
export function createPlanTenantOnboardingAction(options: {
  catalog: CatalogService;
}) {
  return createTemplateAction({
    id: 'cellport:tenant:plan',
    description:
      "Validates a tenant onboarding: names, the shared cell's capacity and region, and the model allowlist against residency and classification.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string(),
        displayName: z => z.string().optional(),
        owner: z => z.string(),
        tier: z => z.string(),
        isolation: z => z.string(),
        cell: z => z.string().optional(),
        cloud: z => z.string().optional(),
        region: z => z.string(),
        cluster: z => z.string().optional(),
        residencyPinned: z => z.boolean().optional(),
        residencyRegions: z => z.array(z.string()).optional(),
        dataClassification: z => z.string(),
        monthlyBudgetUsd: z => z.number(),
        requestsPerMinute: z => z.number().int(),
        tokensPerMinute: z => z.number().int(),
        modelAllowlist: z => z.array(z.string()),
        promptCache: z => z.boolean().optional(),
      },
      output: {
        tenant: z => z.record(z.any()),
        cell: z => z.record(z.any()),
        newCell: z => z.boolean(),
        tenantRef: z => z.string(),
        cellRef: z => z.string(),
      },
    },
    async handler(ctx) {
      const plan = await planOncePerRun(
        ctx,
        `tenant-${ctx.input.name}`,
        async () => {
          const { tenant, newCell } = buildTenantOnboarding(ctx.input);
          const credentials = await ctx.getInitiatorCredentials();
          const tenantRef = `tenant:default/${tenant.metadata.name}`;
          const cellRef = newCell
            ? `cell:default/${newCell.metadata.name}`
            : ref(tenant.spec.cell!, 'Cell');
          const allowlistRefs = tenant.spec.modelAllowlist.map(r =>
            ref(r, 'ModelProfile'),
          );
          const [existingTenant, cell, ...profiles] = (
            await options.catalog.getEntitiesByRefs(
              { entityRefs: [tenantRef, cellRef, ...allowlistRefs] },
              { credentials },
            )
          ).items.map(e => e ?? undefined);

          const isolation = await loadIsolationCatalog(
            options.catalog,
            credentials,
          );
          const problems: string[] = [];
          if (existingTenant) {
            problems.push(
              `name: a tenant "${tenant.metadata.name}" already exists`,
            );
          }
          if (newCell && cell) {
            problems.push(
              `name: the cell "${newCell.metadata.name}" this tenant would get already exists`,
            );
          }
          if (!newCell) {
            if (!cell)
              problems.push(`cell: ${cellRef} does not exist in the catalog`);
            else problems.push(...sharedCellProblems(tenant, cell, isolation));
          }
          problems.push(...allowlistProblems(tenant, profiles, isolation));
          if (problems.length > 0) {
            throw new InputError(problems.join('; '));
          }
          return {
            tenant,
            cell: newCell ?? cell!,
            newCell: Boolean(newCell),
            tenantRef,
            cellRef,
          };
        },
      );
      const { tenant, cell } = plan;
      ctx.logger.info(
        plan.newCell
          ? `${tenant.metadata.name} gets its own ${cell.spec?.tier} cell ${cell.metadata.name} in ${cell.spec?.region}`
          : `${tenant.metadata.name} joins the shared cell ${cell.metadata.name}`,
      );
      ctx.output('tenant', tenant);
      ctx.output('cell', cell);
      ctx.output('newCell', plan.newCell);
      ctx.output('tenantRef', plan.tenantRef);
      ctx.output('cellRef', plan.cellRef);
    },
  });
}
