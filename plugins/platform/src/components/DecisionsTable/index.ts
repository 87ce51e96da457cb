export { DecisionsTable } from './DecisionsTable';
