import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createPlanAgentAction } from './actions/agent/planAgent';
import { createRenderAgentAction } from './actions/agent/renderAgent';
import { createAgentApiKeyAction } from './actions/agent/createAgentApiKey';
import { createProposeAgentChangeAction } from './actions/agent/proposeAgentChange';
import { createRegisterLocalFileAction } from './actions/catalog/registerLocalFile';
import { createRegisterRepositoryUrlAction } from './actions/catalog/registerRepositoryUrl';
import { createPlanInferenceDeploymentAction } from './actions/inference/planInferenceDeployment';
import { createRenderInferenceDeploymentAction } from './actions/inference/renderInferenceDeployment';
import { createPublishLocalAction } from './actions/publish/publishLocal';
import { createReconcileCellAction } from './actions/runtime/reconcileCell';
import { refusingCleanly } from './actions/refusals';
import { requiringOwnership } from './actions/ownership/requiringOwnership';
import { createTenantApiKeyAction } from './actions/tenant/createTenantApiKey';
import { createPlanTenantOnboardingAction } from './actions/tenant/planTenantOnboarding';
import { createRenderTenantOnboardingAction } from './actions/tenant/renderTenantOnboarding';

/** The scaffolder actions of Cellport's self-service templates. */
export const scaffolderModulePlatform = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
      },
      async init({
        scaffolder,
        config,
        catalog,
        discovery,
        auth,
        permissions,
      }) {
        // Refusals of the form's answers end a run with their message, not a stack trace.
        const actions = [
          createPlanAgentAction({ catalog }),
          createRenderAgentAction(),
          createProposeAgentChangeAction({ config, catalog }),
          createAgentApiKeyAction({ discovery, auth }),
          createPlanTenantOnboardingAction({ catalog }),
          createTenantApiKeyAction({ discovery, auth }),
          createRenderTenantOnboardingAction(),
          createPlanInferenceDeploymentAction({ catalog }),
          createRenderInferenceDeploymentAction(),
          createPublishLocalAction({ config }),
          createRegisterLocalFileAction({ config, catalog, auth }),
          createRegisterRepositoryUrlAction({ config, catalog, auth }),
          createReconcileCellAction({ catalog, discovery, auth }),
        ];
        // The plan steps first refuse whoever may not act for the tenant or cell concerned.
        scaffolder.addActions(
          ...actions.map(action =>
            refusingCleanly(
              requiringOwnership(action, { catalog, permissions }),
            ),
          ),
        );
      },
    });
  },
});
