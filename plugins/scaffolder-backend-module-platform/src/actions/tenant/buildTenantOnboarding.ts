import { InputError } from '@backstage/errors';
import {
  CellEntity,
  formatValidationIssues,
  KUBERNETES_ID_ANNOTATION,
  PLATFORM_API_VERSION,
  TenantEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import type { TenantOnboardingInput } from './planTenantOnboarding';

/** The cell a dedicated or customer-VPC tenant gets. */
export function ownCellName(tenant: string, isolation: string): string {
  return `${tenant}-${isolation === 'dedicated' ? 'dedicated' : 'vpc'}`;
}

function fail(issues: { path: string; message: string }[]): never {
  throw new InputError(formatValidationIssues(issues));
}

/**
 * The Tenant a form describes and, for dedicated and customer-VPC isolation, the Cell of its
 * own, both validated against the platform schemas. A shared tenant names the cell it joins.
 */
export function buildTenantOnboarding(input: TenantOnboardingInput): {
  tenant: TenantEntity;
  newCell?: CellEntity;
} {
  const shared = input.isolation === 'shared';
  if (shared && !input.cell) {
    throw new InputError(
      'cell: a shared tenant needs the shared cell it joins',
    );
  }
  const cellName = shared
    ? input.cell!.replace(/^cell:(default\/)?/i, '')
    : ownCellName(input.name, input.isolation);
  const tenant = validatePlatformEntity('Tenant', {
    apiVersion: PLATFORM_API_VERSION,
    kind: 'Tenant',
    metadata: {
      name: input.name,
      ...(input.displayName ? { title: input.displayName } : {}),
    },
    spec: {
      owner: input.owner,
      ...(input.displayName ? { displayName: input.displayName } : {}),
      tier: input.tier,
      isolation: input.isolation,
      // A cell of its own lists the tenant; a shared cell's file lives elsewhere, so the
      // tenant names the cell it joins.
      ...(shared ? { cell: cellName } : {}),
      homeRegion: input.region,
      residency: input.residencyPinned
        ? {
            pinned: true,
            regions: input.residencyRegions?.length
              ? input.residencyRegions
              : [input.region],
          }
        : { pinned: false },
      dataClassification: input.dataClassification,
      monthlyBudgetUsd: input.monthlyBudgetUsd,
      rateLimits: {
        requestsPerMinute: input.requestsPerMinute,
        tokensPerMinute: input.tokensPerMinute,
      },
      modelAllowlist: input.modelAllowlist,
      promptCache: input.promptCache ?? false,
    },
  });
  if (!tenant.ok) fail(tenant.issues);
  if (shared) return { tenant: tenant.entity };

  if (!input.cluster) {
    throw new InputError(
      `cluster: a ${input.isolation} tenant gets a cell of its own, which needs a cluster`,
    );
  }
  const cell = validatePlatformEntity('Cell', {
    apiVersion: PLATFORM_API_VERSION,
    kind: 'Cell',
    metadata: {
      name: cellName,
      title: `${input.displayName ?? input.name} ${
        input.isolation === 'dedicated' ? 'dedicated cell' : 'customer-VPC cell'
      }`,
      annotations: { [KUBERNETES_ID_ANNOTATION]: cellName },
    },
    spec: {
      owner: 'group:default/platform-sre',
      tier: input.isolation,
      cloud: input.cloud,
      region: input.region,
      cluster: input.cluster,
      namespaces: ['cellport-runtime', `tenant-${input.name}`],
      capacity: {
        maxTenants: 1,
        maxRequestsPerSecond: Math.ceil(input.requestsPerMinute / 60),
      },
      tenants: [input.name],
    },
  });
  if (!cell.ok) {
    // The cell's name and its annotation come from the tenant's: a limit on them is one on
    // the form's name, which is the field to change.
    fail(
      cell.issues.map(issue =>
        issue.path === 'metadata.name'
          ? {
              path: 'name',
              message: `${issue.message.replace(
                /^must/,
                'makes a cell name that must',
              )}: ${cellName} (${cellName.length})`,
            }
          : issue,
      ),
    );
  }
  return { tenant: tenant.entity, newCell: cell.entity };
}
