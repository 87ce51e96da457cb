import { NotFoundError } from '@backstage/errors';
import { compileState, CompiledState } from '@cellport/router';
import { PlatformEntities } from '../catalog/platformEntities';
import { computeDesiredState } from './desiredState';

export interface CellRoutingState {
  /** The cell gateway's desired state, compiled as the gateway compiles it. */
  state: CompiledState;
  /** What the reconciler had to leave out (e.g. a private profile another tenant named). */
  warnings: string[];
}

/**
 * The routing state the reconciler would push to a cell's gateway for these entities: the
 * state a replay decides under, and the one demo history is routed with.
 */
export function cellRoutingState(
  cellName: string,
  entities: PlatformEntities,
): CellRoutingState {
  const cell = entities.cells.find(c => c.metadata.name === cellName);
  if (!cell)
    throw new NotFoundError(`cell "${cellName}" is not in the catalog`);
  const { state, warnings } = computeDesiredState(cell, entities);
  return { state: compileState(state), warnings };
}
