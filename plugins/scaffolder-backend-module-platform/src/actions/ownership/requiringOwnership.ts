import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ActionContext,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  platformAgentRegisterPermission,
  platformDedicatedCapacityUsePermission,
  platformTenantOnboardPermission,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { isTenantAllowed } from '@cellport/plugin-platform-node';
import { buildTenantOnboarding } from '../tenant/buildTenantOnboarding';

/**
 * Who may onboard, register or deploy for which tenant, checked before each plan step runs.
 *
 * Why here and not as conditions on `scaffolder.action.execute`: those conditions only compare
 * an action's input with fixed values, while these answers need the catalog (who owns the
 * tenant an agent joins, which tenant a dedicated cell is for). So the plan steps ask the
 * permission framework, with the initiator's credentials, for a tenant permission and apply the
 * policy's decision to the tenant concerned (`isTenantAllowed`): the policy stays the one place
 * that says who may (admin groups always, others for the tenants their groups own), and a
 * refusal names what is not allowed and why. It runs on every attempt, before the plan's
 * checkpoint, so a retry by someone else is checked as them.
 */

interface OwnershipDeps {
  catalog: CatalogService;
  permissions: PermissionsService;
}

type Check = (
  deps: OwnershipDeps,
  ctx: ActionContext<any, any>,
) => Promise<void>;
type TenantPermission = typeof platformTenantOnboardPermission;

/** The initiator's decision on a tenant permission, as a test of one tenant. */
async function tenantTest(
  deps: OwnershipDeps,
  permission: TenantPermission,
  credentials: BackstageCredentials,
) {
  const [decision] = await deps.permissions.authorizeConditional(
    [{ permission }],
    { credentials },
  );
  return (tenant: TenantEntity | undefined) =>
    isTenantAllowed(decision, tenant);
}

function whoIs(credentials: BackstageCredentials): string {
  const principal = credentials.principal as { userEntityRef?: string };
  return principal.userEntityRef ?? 'this caller';
}

function entityRef(field: string, value: string, defaultKind: string) {
  try {
    return stringifyEntityRef(
      parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
    );
  } catch {
    throw new InputError(`${field}: "${value}" is not an entity ref`);
  }
}

async function loadEntity(
  deps: OwnershipDeps,
  ref: string,
  credentials: BackstageCredentials,
) {
  return deps.catalog.getEntityByRef(ref, { credentials });
}

/** A tenant is onboarded by its owner group's members (the tenant as planned decides). */
const onboarding: Check = async (deps, ctx) => {
  const credentials = await ctx.getInitiatorCredentials();
  const { tenant } = buildTenantOnboarding(ctx.input);
  const allowed = await tenantTest(
    deps,
    platformTenantOnboardPermission,
    credentials,
  );
  if (allowed(tenant)) return;
  throw new NotAllowedError(
    `${whoIs(credentials)} may not onboard tenant ${
      tenant.metadata.name
    } for owner ${
      tenant.spec.owner
    }: only members of that group or of the platform's admin groups may. Choose one of your own groups as the owner.`,
  );
};

/**
 * The catalog's tenant `field` names, and whether the initiator may register agents for it
 * (undefined tenant: only an unconditional allow, the admin groups, may).
 */
async function agentTenant(
  deps: OwnershipDeps,
  credentials: BackstageCredentials,
  field: string,
  name: string,
) {
  const tenant = (await loadEntity(
    deps,
    entityRef(field, name, 'Tenant'),
    credentials,
  )) as TenantEntity | undefined;
  const allowed = await tenantTest(
    deps,
    platformAgentRegisterPermission,
    credentials,
  );
  return { tenant, allowed: allowed(tenant) };
}

/** An agent is registered only for a tenant the initiator's groups own. */
const agentRegistration: Check = async (deps, ctx) => {
  const credentials = await ctx.getInitiatorCredentials();
  const { tenant, allowed } = await agentTenant(
    deps,
    credentials,
    'tenant',
    ctx.input.tenant,
  );
  // A tenant the catalog does not have is the plan's to refuse, naming the field.
  if (!tenant || allowed) return;
  throw new NotAllowedError(
    `${whoIs(credentials)} may not register agents for tenant ${
      tenant.metadata.name
    }: it is owned by ${
      tenant.spec.owner
    }, and only its owners or the platform's admin groups may.`,
  );
};

/**
 * A change to an agent's routing is proposed only by those who may register agents for its
 * tenant: a branch in another tenant's agent repository is not theirs to open.
 */
const agentChange: Check = async (deps, ctx) => {
  const credentials = await ctx.getInitiatorCredentials();
  const agent = await loadEntity(
    deps,
    entityRef('agent', ctx.input.agent, 'Agent'),
    credentials,
  );
  const tenantName = (agent?.spec as { tenant?: string } | undefined)?.tenant;
  // An agent the catalog does not have is the action's to refuse, naming the field.
  if (!agent || !tenantName) return;
  const { allowed } = await agentTenant(
    deps,
    credentials,
    'agent.spec.tenant',
    tenantName,
  );
  if (allowed) return;
  throw new NotAllowedError(
    `${whoIs(credentials)} may not propose changes to agent ${
      agent.metadata.name
    } of tenant ${tenantName}: only its tenant's owners or the platform's admin groups may.`,
  );
};

/**
 * A dedicated or customer-VPC cell's GPUs are its tenant's: only that tenant's owners (or the
 * admin groups) plan inference deployments there. Shared cells are the platform's capacity.
 */
const inferencePlacement: Check = async (deps, ctx) => {
  const credentials = await ctx.getInitiatorCredentials();
  const cellRef = entityRef('cell', ctx.input.cell, 'Cell');
  const cell = await loadEntity(deps, cellRef, credentials);
  const spec = cell?.spec as { tier?: string; tenants?: string[] } | undefined;
  // A cell the catalog does not have is the plan's to refuse, naming the field.
  if (!cell || spec?.tier === 'shared') return;
  const tenantRefs = (spec?.tenants ?? []).map(t =>
    entityRef('cell.spec.tenants', t, 'Tenant'),
  );
  const { items } = tenantRefs.length
    ? await deps.catalog.getEntitiesByRefs(
        { entityRefs: tenantRefs },
        { credentials },
      )
    : { items: [] };
  const tenants = items.filter(Boolean) as unknown as TenantEntity[];
  const allowed = await tenantTest(
    deps,
    platformDedicatedCapacityUsePermission,
    credentials,
  );
  // Without a tenant in the catalog, only an unconditional allow (the admin groups) passes.
  if (tenants.some(allowed) || allowed(undefined)) return;
  const whose = tenants.length
    ? `of tenant ${tenants
        .map(t => `${t.metadata.name} (owned by ${t.spec.owner})`)
        .join(', ')}`
    : 'with no tenant in the catalog';
  throw new NotAllowedError(
    `${whoIs(credentials)} may not plan inference deployments on cell ${
      cell.metadata.name
    }: it is a ${
      spec?.tier
    } cell ${whose}, and only that tenant's owners or the platform's admin groups may use it.`,
  );
};

/**
 * A key is made only for a tenant the initiator may onboard: the portal's record of the keys it
 * issued is what lets a key serve, so a template calling this action directly must not get
 * one recorded for someone else's tenant. An existing tenant's owner decides, not the owner
 * the input claims.
 */
const tenantKey: Check = async (deps, ctx) => {
  const credentials = await ctx.getInitiatorCredentials();
  const planned = ctx.input.tenant as TenantEntity | undefined;
  const name = planned?.metadata?.name;
  // Not a tenant at all: the action's to refuse, naming the field.
  if (typeof name !== 'string') return;
  const existing = (await loadEntity(
    deps,
    entityRef('tenant.metadata.name', name, 'Tenant'),
    credentials,
  )) as TenantEntity | undefined;
  const allowed = await tenantTest(
    deps,
    platformTenantOnboardPermission,
    credentials,
  );
  if (allowed(existing ?? planned)) return;
  throw new NotAllowedError(
    `${whoIs(
      credentials,
    )} may not make API keys for tenant ${name}: only its owners or the platform's admin groups may.`,
  );
};

/**
 * An agent's key is made only for an agent of a tenant in the catalog that the initiator may
 * register agents for (a key recorded for a tenant that does not exist yet would serve
 * whoever later names an agent after it).
 */
const agentKey: Check = async (deps, ctx) => {
  const credentials = await ctx.getInitiatorCredentials();
  const tenantName = (ctx.input.agent as { spec?: { tenant?: unknown } })?.spec
    ?.tenant;
  // Not an agent at all: the action's to refuse, naming the field.
  if (typeof tenantName !== 'string') return;
  const { tenant, allowed } = await agentTenant(
    deps,
    credentials,
    'agent.spec.tenant',
    tenantName,
  );
  if (allowed) return;
  throw new NotAllowedError(
    `${whoIs(
      credentials,
    )} may not make API keys for agents of tenant ${tenantName}: ${
      tenant
        ? "only its owners or the platform's admin groups may"
        : 'it is not in the catalog'
    }.`,
  );
};

const checks: Record<string, Check> = {
  'cellport:tenant:create-api-key': tenantKey,
  'cellport:agent:create-api-key': agentKey,
  'cellport:tenant:plan': onboarding,
  'cellport:agent:plan': agentRegistration,
  'cellport:inference:plan': inferencePlacement,
  'cellport:agent:propose-change': agentChange,
};

/** The same action, refusing first whoever may not do it for the tenant or cell concerned. */
export function requiringOwnership<A extends TemplateAction<any, any, any>>(
  action: A,
  deps: OwnershipDeps,
): A {
  const check = checks[action.id];
  if (!check) return action;
  return {
    ...action,
    async handler(ctx: Parameters<A['handler']>[0]) {
      await check(deps, ctx);
      await action.handler(ctx);
    },
  };
}
