export { SloCards } from './SloCards';
export { SloCard } from './SloCard';
