/**
 * Work done in steps: a generator that yields between slices of it, so that a server can
 * answer requests between them (`runStepsInTurns`), or that runs whole (`runSteps`).
 */
export type Steps<T> = Generator<void, T, void>;

/** Entries worked on between two yields at most. */
export const ENTRIES_PER_STEP = 1_000;

/**
 * Work between two yields at most, roughly: a tenant allowed twenty profiles takes fifty
 * times a key's work to compile, so a step ends at whichever limit comes first.
 */
export const STEP_MS = 5;

/**
 * Calls `each` on every item in order, yielding after ENTRIES_PER_STEP of them or once a step
 * has taken STEP_MS (the clock read every 16 items).
 */
export function* eachInSteps<T>(
  items: readonly T[],
  each: (item: T, index: number) => void,
): Steps<void> {
  let done = 0;
  let since = performance.now();
  for (let i = 0; i < items.length; i++) {
    each(items[i], i);
    done += 1;
    if (
      done === ENTRIES_PER_STEP ||
      (done % 16 === 0 && performance.now() - since >= STEP_MS)
    ) {
      yield;
      done = 0;
      since = performance.now();
    }
  }
}

/** Runs every step at once. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Runs one step a turn of the event loop: what else is waiting runs between two steps. */
export async function runStepsInTurns<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise(resolve => setImmediate(resolve));
  }
}
