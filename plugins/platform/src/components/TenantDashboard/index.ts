export { TenantDashboard } from './TenantDashboard';
