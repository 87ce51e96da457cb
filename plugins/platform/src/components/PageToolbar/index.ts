export { PageToolbar } from './PageToolbar';
