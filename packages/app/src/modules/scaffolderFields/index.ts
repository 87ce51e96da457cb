import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';

/**
 * The onboarding and agent forms' placement pickers, added to the scaffolder: they offer only
 * what the template's plan step will accept, and say why the rest is refused.
 */
export const scaffolderFieldsModule = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [
    FormFieldBlueprint.make({
      name: 'shared-cell-picker',
      params: {
        field: () => import('./fields').then(m => m.sharedCellPickerField),
      },
    }),
    FormFieldBlueprint.make({
      name: 'model-profile-picker',
      params: {
        field: () => import('./fields').then(m => m.modelProfilePickerField),
      },
    }),
    FormFieldBlueprint.make({
      name: 'agent-model-picker',
      params: {
        field: () => import('./fields').then(m => m.agentModelPickerField),
      },
    }),
  ],
});
