import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  formatValidationIssues,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import {
  manifestsToYaml,
  renderCellManifests,
  validateManifests,
} from '@cellport/plugin-platform-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { examples } from './renderTenantOnboarding.examples';

/** Catalog bookkeeping that must not be written back into a source file. */
function sourceOf(entity: Record<string, any>) {
  const { uid, etag, generation, ...metadata } = entity.metadata ?? {};
  const { relations, status, ...rest } = entity;
  return { ...rest, metadata };
}

/**
 * `cellport:tenant:render` writes a planned onboarding into the workspace: the Tenant (and its
 * new Cell) as `catalog-info.yaml`, and the Kubernetes objects the tenant needs in its cell
 * (`kubernetes/`): its namespace with quota, limits, network policies and service account,
 * plus the cell's own gateway for dedicated and customer-VPC cells. Writing the workspace is
 * what a dry run shows, so it runs in dry runs too.
 */
export function createRenderTenantOnboardingAction() {
  return createTemplateAction({
    id: 'cellport:tenant:render',
    description:
      'Writes a Tenant, its new Cell if any, and the Kubernetes manifests of its place in the cell.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        tenant: z =>
          z
            .record(z.any())
            .describe('The tenant cellport:tenant:plan returned'),
        cell: z =>
          z.record(z.any()).describe('The cell cellport:tenant:plan returned'),
        newCell: z => z.boolean(),
      },
      output: {
        files: z => z.array(z.string()),
      },
    },
    async handler(ctx) {
      const tenant = validatePlatformEntity(
        'Tenant',
        sourceOf(ctx.input.tenant),
      );
      if (!tenant.ok)
        throw new InputError(
          `tenant: ${formatValidationIssues(tenant.issues)}`,
        );
      const cell = validatePlatformEntity('Cell', sourceOf(ctx.input.cell));
      if (!cell.ok)
        throw new InputError(`cell: ${formatValidationIssues(cell.issues)}`);

      const name = tenant.entity.metadata.name;
      const cellName = cell.entity.metadata.name;
      // Render the tenant's place in the cell as if the cell already listed it.
      const hosting = {
        ...cell.entity,
        spec: {
          ...cell.entity.spec,
          tenants: [...new Set([...cell.entity.spec.tenants, name])],
        },
      };
      // A shared cell's gateway already runs; a new cell needs its own.
      const manifests = renderCellManifests({
        cell: hosting,
        tenants: [tenant.entity],
        includeGateway: ctx.input.newCell,
      });
      const problems = validateManifests(manifests);
      if (problems.length) {
        throw new InputError(
          `rendered manifests are invalid: ${problems
            .map(p => `${p.object}: ${p.message}`)
            .join('; ')}`,
        );
      }
      const entities = ctx.input.newCell
        ? [sourceOf(ctx.input.tenant), sourceOf(ctx.input.cell)]
        : [sourceOf(ctx.input.tenant)];
      const files = {
        'catalog-info.yaml': entities.map(e => stringify(e)).join('---\n'),
        [`kubernetes/${cellName}/${name}.yaml`]: manifestsToYaml(manifests),
      };
      for (const [file, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(ctx.workspacePath, file)), {
          recursive: true,
        });
        await fs.writeFile(path.join(ctx.workspacePath, file), content);
      }
      ctx.output('files', Object.keys(files));
    },
  });
}
