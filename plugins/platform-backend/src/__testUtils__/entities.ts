import { Entity } from '@backstage/catalog-model';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import {
  Clock,
  PlatformCatalog,
  systemClock,
} from '@cellport/plugin-platform-node';

export { TEST_ENTITIES };

/** The catalog service of Backstage's test utilities, holding the test entities. */
export function testCatalogService(entities: Entity[] = TEST_ENTITIES) {
  return catalogServiceMock({ entities });
}

export function testPlatformCatalog(
  clock: Clock = systemClock,
  entities: Entity[] = TEST_ENTITIES,
) {
  return new PlatformCatalog(
    testCatalogService(entities),
    mockServices.auth(),
    mockServices.logger.mock(),
    clock,
  );
}
