import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GatewayDesiredState } from '@cellport/plugin-platform-common';
import {
  CompiledState,
  compileSteps,
  eachInSteps,
  runSteps,
  runStepsInTurns,
  Steps,
} from './CompiledState';

/**
 * Versions whose content the store remembers, the newest: more than a reconciler pushes while
 * a cached answer lives (GATEWAY_CACHE_TTL_SECONDS), at a digest each.
 */
const REMEMBERED_VERSIONS = 1024;

export interface Applied {
  version: string;
  changed: boolean;
}

/**
 * A digest of a state's content, a list entry at a time: JSON text never holds a raw line
 * break, so one between entries keeps two contents from reading the same.
 */
function* contentDigest(document: GatewayDesiredState): Steps<string> {
  const { tenants, apiKeys, modelProfiles, agents, ...fields } = document;
  const hash = createHash('sha256').update(JSON.stringify(fields));
  for (const [name, list] of Object.entries({
    tenants,
    apiKeys,
    modelProfiles,
    agents,
  })) {
    hash.update(`\n${name}`);
    yield* eachInSteps(list as unknown[], entry =>
      hash.update(`\n${JSON.stringify(entry)}`),
    );
  }
  return hash.digest('hex');
}

/** A push that reuses a version this gateway ran with other content. */
export class StateVersionConflict extends Error {
  constructor(readonly version: string, inForce: boolean) {
    super(
      `state version "${version}" ${
        inForce ? 'is in force' : 'was in force before'
      } with other content: a changed state needs a new version`,
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
  /** The digest of each version's content, oldest first. */
  private readonly contents = new Map<string, string>();
  /** The pushes taken so far, applied one after another. */
  private pushes: Promise<unknown> = Promise.resolve();

  get current(): CompiledState | undefined {
    return this.state;
  }

  /**
   * Validates and swaps in a new state; returns whether the version changed. A version names
   * one content (the portal's is a hash of it; events and the prompt cache go by it), so a
   * push of a version this gateway ran, in force or before (a rollback by an old label), with
   * other content is refused (StateVersionConflict): the cache would answer from the old one.
   */
  apply(document: unknown): Applied {
    return runSteps(this.applySteps(document));
  }

  /**
   * `apply` for a push while requests are served: validated and compiled a slice of entries
   * a turn of the event loop, so that a state at the maxima (a second or two of work) does
   * not hold every request for its whole length; requests meanwhile run on the state in
   * force. Pushes are applied one at a time, in the order they came: a push takes its place
   * when it arrives, and `document` may be the promise of its body, so that an older push
   * whose body comes slowly cannot land after a newer one (and bring back a key it revoked).
   */
  push(document: unknown): Promise<Applied> {
    const body = Promise.resolve(document);
    // Its failure (a body that broke off, or is not JSON) is the push's answer when its turn
    // comes; until then it must not count as unhandled.
    body.catch(() => undefined);
    const applied = this.pushes.then(async () =>
      runStepsInTurns(this.applySteps(await body)),
    );
    this.pushes = applied.catch(() => undefined);
    return applied;
  }

  private *applySteps(document: unknown): Steps<Applied> {
    const next = yield* compileSteps(document);
    const content = yield* contentDigest(next.document);
    // From here on in one turn: the check and the swap see the same state.
    const changed = this.state?.version !== next.version;
    const known = this.contents.get(next.version);
    if (known !== undefined && known !== content) {
      throw new StateVersionConflict(next.version, !changed);
    }
    this.contents.delete(next.version);
    this.contents.set(next.version, content);
    if (this.contents.size > REMEMBERED_VERSIONS) {
      this.contents.delete(this.contents.keys().next().value!);
    }
    this.state = next;
    for (const listener of this.listeners) {
      listener(next);
    }
    return { version: next.version, changed };
  }

  /** Loads the initial state from a JSON file (GATEWAY_STATE_FILE). */
  loadFile(path: string): Applied {
    return this.apply(readStateFile(path));
  }

  /** Reads the state file again while requests are served (SIGHUP): a push of its content. */
  reloadFile(path: string): Promise<Applied> {
    return this.push(Promise.resolve().then(() => readStateFile(path)));
  }

  onChange(listener: (state: CompiledState) => void): void {
    this.listeners.push(listener);
  }
}

function readStateFile(path: string): unknown {
  try {
    // A byte-order mark (an editor's on Windows) is no part of the JSON, as RFC 8259 allows.
    return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(
      `cannot read gateway state file ${path}: ${(error as Error).message}`,
    );
  }
}
