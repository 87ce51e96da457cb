export { InferenceDeploymentCostCard } from './InferenceDeploymentCostCard';
