import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  classificationSchema,
  cloudSchema,
  isolationSchema,
  positiveUsdSchema,
  rateLimitsSchema,
  regionSchema,
  tenantTierSchema,
} from '@cellport/plugin-platform-common';
import type { z as zod } from 'zod/v3';
import { buildTenantOnboarding } from './buildTenantOnboarding';
import { planOncePerRun } from '../planOncePerRun';
import { allowlistProblems, sharedCellProblems } from './checkTenantPlacement';
import { examples } from './planTenantOnboarding.examples';
import { loadIsolationCatalog } from '../loadIsolationCatalog';
import { platformSchema } from '../platformSchema';

const ref = (value: string, defaultKind: string) =>
  stringifyEntityRef(
    parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
  );

/** What the tenant-cell form asks for: choices and bounds are the Tenant kind's own. */
export const tenantOnboardingInput = (z: typeof zod) =>
  z.object({
    name: z.string(),
    displayName: z.string().optional(),
    owner: z.string(),
    tier: platformSchema(z, tenantTierSchema),
    isolation: platformSchema(z, isolationSchema),
    cell: z
      .string()
      .optional()
      .describe('The shared cell to join; shared isolation only'),
    cloud: platformSchema(z, cloudSchema).optional(),
    region: platformSchema(z, regionSchema),
    cluster: z
      .string()
      .optional()
      .describe("The new cell's cluster; dedicated and customer-VPC only"),
    residencyPinned: z.boolean().optional(),
    residencyRegions: z.array(platformSchema(z, regionSchema)).optional(),
    dataClassification: platformSchema(z, classificationSchema),
    monthlyBudgetUsd: platformSchema(z, positiveUsdSchema),
    requestsPerMinute: platformSchema(
      z,
      rateLimitsSchema.shape.requestsPerMinute,
    ),
    tokensPerMinute: platformSchema(z, rateLimitsSchema.shape.tokensPerMinute),
    modelAllowlist: z.array(z.string()),
    promptCache: z.boolean().optional(),
  });

export type TenantOnboardingInput = zod.infer<
  ReturnType<typeof tenantOnboardingInput>
>;

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
      input: tenantOnboardingInput,
      output: z =>
        z.object({
          tenant: z.record(z.any()),
          cell: z.record(z.any()),
          newCell: z.boolean(),
          tenantRef: z.string(),
          cellRef: z.string(),
        }),
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
          if (newCell) {
            // A cluster runs one cell: a second one's gateway would take over the first's.
            const { items: onCluster } = await options.catalog.getEntities(
              {
                filter: { kind: 'Cell', 'spec.cluster': newCell.spec.cluster },
                fields: ['metadata.name'],
              },
              { credentials },
            );
            if (onCluster.length > 0) {
              problems.push(
                `cluster: ${newCell.spec.cluster} already runs cell ${onCluster
                  .map(c => c.metadata.name)
                  .join(
                    ', ',
                  )}; a dedicated or customer-VPC cell needs a cluster of its own`,
              );
            }
          }
          if (!newCell) {
            if (!cell)
              problems.push(`cell: ${cellRef} does not exist in the catalog`);
            else if (cell.kind !== 'Cell')
              problems.push(`cell: ${cellRef} is not a Cell`);
            else {
              // The catalog's own spelling: names match without regard to case there, not in
              // every rule that counts a cell's tenants.
              tenant.spec.cell = cell.metadata.name;
              problems.push(...sharedCellProblems(tenant, cell, isolation));
            }
          }
          problems.push(...allowlistProblems(tenant, profiles, isolation));
          if (problems.length > 0) {
            throw new InputError(problems.join('; '));
          }
          // As the catalog spells each model: the form's picker sends refs in lower case.
          tenant.spec.modelAllowlist = profiles.map(p => p!.metadata.name);
          return {
            tenant,
            cell: newCell ?? cell!,
            newCell: Boolean(newCell),
            tenantRef,
            cellRef: newCell ? cellRef : stringifyEntityRef(cell!),
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
