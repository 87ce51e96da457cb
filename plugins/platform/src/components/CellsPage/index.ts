export { CellsPage } from './CellsPage';
