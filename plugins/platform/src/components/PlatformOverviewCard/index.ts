export { PlatformOverviewCard } from './PlatformOverviewCard';
