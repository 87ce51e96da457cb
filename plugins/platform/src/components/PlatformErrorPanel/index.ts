export { PlatformErrorPanel, whatToDo } from './PlatformErrorPanel';
