export { ApiKeyRevealPage } from './ApiKeyRevealPage';
