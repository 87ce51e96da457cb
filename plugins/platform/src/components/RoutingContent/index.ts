export { RoutingContent } from './RoutingContent';
