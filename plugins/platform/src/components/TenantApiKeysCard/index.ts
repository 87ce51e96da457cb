export { TenantApiKeysCard } from './TenantApiKeysCard';
