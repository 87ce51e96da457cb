export {
  AlertStateChip,
  SloStateChip,
  RuntimeSyncChip,
  runtimeSyncLabel,
} from './StateChips';
