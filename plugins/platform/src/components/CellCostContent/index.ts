export { CellCostContent } from './CellCostContent';
