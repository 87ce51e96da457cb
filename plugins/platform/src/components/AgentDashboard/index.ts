export { AgentDashboard } from './AgentDashboard';
