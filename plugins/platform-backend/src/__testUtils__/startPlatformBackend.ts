import {
  BackendFeature,
  createServiceFactory,
  PermissionsService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AppConfig } from '@backstage/config';
import {
  CatalogService,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { platformPlugin } from '../plugin';
import { TEST_ENTITIES } from './entities';

type ConfigData = AppConfig['data'];

/**
 * Backstage stops test backends after a file's last test, once its test databases are gone: a
 * background job's query then waits out the pool's timeout (30 s, now and then). A backend
 * started inside a test stops after that test instead; one from a `beforeAll` is its file's.
 */
let inTest = false;
const startedInTest: TestBackend[] = [];
beforeEach(() => {
  inTest = true;
});
afterEach(async () => {
  inTest = false;
  await Promise.all(startedInTest.splice(0).map(backend => backend.stop()));
});

export interface PlatformBackendOptions {
  /** What the catalog holds: TEST_ENTITIES unless given. */
  entities?: Entity[];
  /** A catalog service to use instead of one holding `entities`. */
  catalog?: CatalogService;
  /** The permissions service: Backstage's mock, allowing all, unless given. */
  permissions?: ServiceFactory<PermissionsService>;
  /** Config under `platform`; the reconciler is off unless this sets `reconciler`. */
  platform?: ConfigData;
  /** Top-level config beside `platform`, such as `app`. */
  config?: ConfigData;
  /** Plugins and modules to start beside the platform plugin. */
  features?: BackendFeature[];
}

/** The platform plugin on a test database, catalog and config: the setup its backend tests share. */
export async function startPlatformBackend(
  knex: Knex,
  {
    entities = TEST_ENTITIES,
    catalog,
    permissions = mockServices.permissions.factory(),
    platform,
    config,
    features = [],
  }: PlatformBackendOptions = {},
) {
  const backend = await startTestBackend({
    features: [
      platformPlugin,
      ...features,
      mockServices.database.factory({ knex }),
      catalog
        ? createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalog,
          })
        : catalogServiceMock.factory({ entities }),
      permissions,
      mockServices.rootConfig.factory({
        data: {
          ...config,
          platform: { reconciler: { enabled: false }, ...platform },
        },
      }),
    ],
  });
  if (inTest) startedInTest.push(backend);
  return backend;
}
