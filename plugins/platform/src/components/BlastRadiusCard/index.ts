export { BlastRadiusCard } from './BlastRadiusCard';
