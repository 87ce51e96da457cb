export { GpuCostCard } from './GpuCostCard';
