// The compiled state is what the router decides over, so it lives with the router.
export {
  classificationRank,
  compileState,
  compileSteps,
  runSteps,
  runStepsInTurns,
  eachInSteps,
  type Steps,
  StateValidationError,
  usableProfiles,
  type CompiledAgent,
  type CompiledKey,
  type CompiledProfile,
  type CompiledState,
  type CompiledTenant,
  type ProfilesByType,
} from '@cellport/router';
