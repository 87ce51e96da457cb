export { TrafficCard, availabilityOf } from './TrafficCard';
