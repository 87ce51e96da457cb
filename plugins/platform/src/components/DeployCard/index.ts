export { DeployCard } from './DeployCard';
export { EntityDeployCard } from './EntityDeployCard';
