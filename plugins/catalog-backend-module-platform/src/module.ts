import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { filePlaceholderResolver } from './placeholders/filePlaceholderResolver';
import { PlatformEntitiesProcessor } from './processor/PlatformEntitiesProcessor';

/**
 * Teaches the catalog Cellport's kinds: validation against the platform schemas, relations,
 * and reporting of references to entities that do not exist. Adds the `$file` placeholder
 * for API definitions kept beside their code.
 */
export const catalogModulePlatform = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'platform',
  register(reg) {
    reg.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
      },
      async init({ processing, catalog, auth }) {
        processing.addPlaceholderResolver('file', filePlaceholderResolver);
        processing.addProcessor(
          new PlatformEntitiesProcessor({
            async getEntitiesByRefs(entityRefs) {
              const { items } = await catalog.getEntitiesByRefs(
                {
                  entityRefs,
                  fields: [
                    'kind',
                    'metadata.name',
                    'metadata.namespace',
                    'spec',
                  ],
                },
                { credentials: await auth.getOwnServiceCredentials() },
              );
              return items.map(item => item ?? undefined);
            },
          }),
        );
      },
    });
  },
});
