import { readFileSync } from 'node:fs';
import { CompiledState, compileState } from './CompiledState';

/** A push that reuses the version in force for other content. */
export class StateVersionConflict extends Error {
  constructor(readonly version: string) {
    super(
      `state version "${version}" is in force with other content: a changed state needs a new version`,
    );
    this.name = 'StateVersionConflict';
  }
}

/**
 * Holds the desired state the gateway runs on. A push is validated whole before it replaces
 * the current state in one assignment, so a request sees either the old or the new state,
 * never a mix; each request keeps the state object it started with.
 */
export class StateStore {
  private state?: CompiledState;
  private readonly listeners: Array<(state: CompiledState) => void> = [];

  get current(): CompiledState | undefined {
    return this.state;
  }

  /**
   * Validates and swaps in a new state; returns whether the version changed. A version names
   * one content (the portal's is a hash of it; events and the prompt cache go by it), so a
   * push of the version in force with other content is refused (StateVersionConflict).
   */
  apply(document: unknown): { version: string; changed: boolean } {
    const next = compileState(document);
    const changed = this.state?.version !== next.version;
    if (
      !changed &&
      JSON.stringify(this.state!.document) !== JSON.stringify(next.document)
    ) {
      throw new StateVersionConflict(next.version);
    }
    this.state = next;
    for (const listener of this.listeners) {
      listener(next);
    }
    return { version: next.version, changed };
  }

  /** Loads the initial state from a JSON file (GATEWAY_STATE_FILE). */
  loadFile(path: string): { version: string } {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(
        `cannot read gateway state file ${path}: ${(error as Error).message}`,
      );
    }
    return this.apply(document);
  }

  onChange(listener: (state: CompiledState) => void): void {
    this.listeners.push(listener);
  }
}
