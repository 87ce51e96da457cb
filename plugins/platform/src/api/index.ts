export { platformApiRef } from './PlatformApi';
export type { PlatformApi } from './PlatformApi';
export { PlatformClient } from './PlatformClient';
export * from './types';
export { PlatformRequestError } from './PlatformRequestError';
