import { parseEntityRef } from '@backstage/catalog-model';
import {
  AuthorizeResult,
  isPermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  createScaffolderActionConditionalDecision,
  createScaffolderTaskConditionalDecision,
  scaffolderActionConditions,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import {
  actionExecutePermission,
  taskCancelPermission,
  taskCreatePermission,
  taskReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';

/**
 * Every action Cellport's templates (`templates/*.yaml`) run. Outside the admin groups only
 * these run: a template someone registered themselves cannot reach the scaffolder's other
 * built-in actions. Add an action here when a template starts using it.
 */
export const SELF_SERVICE_ACTIONS = [
  'cellport:tenant:plan',
  'cellport:tenant:create-api-key',
  'cellport:tenant:render',
  'cellport:agent:plan',
  'cellport:agent:create-api-key',
  'cellport:agent:render',
  'cellport:agent:propose-change',
  'cellport:inference:plan',
  'cellport:inference:render',
  'cellport:publish:local',
  'cellport:catalog:register-file',
  'cellport:catalog:register-url',
  'cellport:runtime:reconcile',
  'publish:github',
  'publish:gitlab',
];

/** The user is a member of at least one group (not only themselves). */
export function isGroupMember(ownershipEntityRefs: string[]): boolean {
  return ownershipEntityRefs.some(
    ref => parseEntityRef(ref).kind.toLocaleLowerCase('en-US') === 'group',
  );
}

/**
 * What users outside the admin groups may do with the templates: everyone sees and cancels
 * only their own runs; a signed-in member of a group may also run the templates (and retry their
 * own runs). Registering catalog locations stays with the admin groups: a file or repository a
 * user registered could name any tenant and carry any key, so the templates register what they
 * publish as the scaffolder module (`cellport:catalog:register-file`, `-url`), after their plan
 * step allowed it. Whose tenant, agent or cell a run may touch is not decided here
 * but in the plan steps, against the tenant permissions (`platform.tenant.onboard` and the
 * others): it depends on catalog data (who owns the tenant, whose cell it is) that conditions on
 * `scaffolder.action.execute` cannot look up, as they only compare an input with a fixed value.
 * Undefined for other permissions.
 */
export function selfServiceDecision(
  permission: Permission,
  user: { userEntityRef?: string; groupMember: boolean },
): PolicyDecision | undefined {
  // Reading a run also lets one retry it, as oneself: keep each user to their own runs.
  if (
    isPermission(permission, taskReadPermission) ||
    isPermission(permission, taskCancelPermission)
  ) {
    return user.userEntityRef
      ? createScaffolderTaskConditionalDecision(
          permission,
          scaffolderTaskConditions.isTaskOwner({
            createdBy: [user.userEntityRef],
          }),
        )
      : { result: AuthorizeResult.DENY };
  }
  if (!user.groupMember) return undefined;
  if (isPermission(permission, taskCreatePermission)) {
    return { result: AuthorizeResult.ALLOW };
  }
  if (isPermission(permission, actionExecutePermission)) {
    const [first, ...rest] = SELF_SERVICE_ACTIONS.map(actionId =>
      scaffolderActionConditions.hasActionId({ actionId }),
    );
    return createScaffolderActionConditionalDecision(permission, {
      anyOf: [first, ...rest],
    });
  }
  return undefined;
}
