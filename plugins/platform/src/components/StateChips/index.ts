export {
  AlertStateChip,
  RuntimeSyncChip,
  runtimeSyncLabel,
} from './StateChips';
