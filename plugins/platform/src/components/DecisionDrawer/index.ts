export { DecisionDrawer } from './DecisionDrawer';
