export { CellDashboard } from './CellDashboard';
