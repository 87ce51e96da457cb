export { ModelProfileReplay } from './ModelProfileReplay';
