import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import {
  PlatformEntities,
  toPlatformEntities,
} from '@cellport/plugin-platform-node';

/** The test catalog as the platform plugin reads it (its broken tenant left out). */
export function testPlatformEntities(): PlatformEntities {
  return toPlatformEntities(TEST_ENTITIES, () => {});
}
