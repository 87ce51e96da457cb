import { readFileSync } from 'node:fs';
import { CompiledState, compileState } from './CompiledState';

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

  /** Validates and swaps in a new state; returns whether the version changed. */
  apply(document: unknown): { version: string; changed: boolean } {
    const next = compileState(document);
    const changed = this.state?.version !== next.version;
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
