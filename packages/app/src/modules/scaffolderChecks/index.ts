import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';

/**
 * Form fields that run the plan steps' checks while the form is open: a name the catalog
 * already has, and the inference deployment's GPU fit, context length and cell GPU pool.
 */
export const scaffolderChecksModule = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [
    FormFieldBlueprint.make({
      name: 'unique-name',
      params: { field: () => import('./fields').then(m => m.uniqueNameField) },
    }),
    FormFieldBlueprint.make({
      name: 'inference-number',
      params: {
        field: () => import('./fields').then(m => m.inferenceNumberField),
      },
    }),
  ],
});
