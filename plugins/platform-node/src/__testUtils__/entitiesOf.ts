import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { formatValidationIssues } from '@cellport/plugin-platform-common';
import {
  PlatformEntities,
  toPlatformEntities,
} from '../catalog/platformEntities';

/**
 * The platform entities of a test catalog, as the platform plugin reads them. Only the test
 * catalog's deliberately broken tenant may be invalid: any other would be a broken test.
 */
export function entitiesOf(items: Entity[]): PlatformEntities {
  return toPlatformEntities(items, (entity, issues) => {
    if (entity.metadata.name === 'broken-tenant') return;
    throw new Error(
      `${stringifyEntityRef(entity)}: ${formatValidationIssues(issues)}`,
    );
  });
}
