export { ModelProfileTrafficCard } from './ModelProfileTrafficCard';
