export { GpuFitCard } from './GpuFitCard';
