// The platform's catalog reader is shared with the deploy driver (platform-node); the
// platform backend's services import it, and the one name rule, from here.
export {
  PlatformCatalog,
  type PlatformEntities,
} from '@cellport/plugin-platform-node';
export { entityRefName as refName } from '@cellport/plugin-platform-common';
