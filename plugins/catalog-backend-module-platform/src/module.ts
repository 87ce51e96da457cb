import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogLocationsExtensionPoint,
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
        locations: catalogLocationsExtensionPoint,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
      },
      async init({ processing, locations, catalog, auth, config }) {
        // The embedded default publishes templates to local git repositories and registers
        // their files; production publishes to GitHub or GitLab and keeps this off.
        if (config.getOptionalBoolean('cellport.catalog.allowFileLocations')) {
          locations.setAllowedLocationTypes(['url', 'file']);
        }
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
            async getEntitiesOfKinds(kinds) {
              const { items } = await catalog.getEntities(
                {
                  filter: { kind: kinds },
                  fields: ['kind', 'metadata.name', 'spec'],
                },
                { credentials: await auth.getOwnServiceCredentials() },
              );
              return items;
            },
          }),
        );
      },
    });
  },
});
