/**
 * The signal channel a Deploy card listens on: the backend publishes on it whenever the
 * rollout it follows after an apply changes, and once more when it ends.
 */
export function deployRolloutChannel(entityRef: string): string {
  return `platform:deploy-rollout:${entityRef}`;
}

/** What a rollout signal says: read the status again; `done` once nothing rolls out. */
export interface DeployRolloutSignal {
  entityRef: string;
  done: boolean;
  [key: string]: string | boolean;
}
