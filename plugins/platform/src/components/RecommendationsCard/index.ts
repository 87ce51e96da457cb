export { RecommendationsCard } from './RecommendationsCard';
export { RecommendationsContent } from './RecommendationsContent';
