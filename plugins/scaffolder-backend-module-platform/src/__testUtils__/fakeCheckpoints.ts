/**
 * A run's checkpoints as the scaffolder keeps them across its attempts: a key that succeeded
 * returns its kept value, one that failed (or never ran) runs again. Pass `checkpoint` in an
 * action's context and call the action twice to play a retry.
 */
export function fakeCheckpoints() {
  const kept = new Map<string, unknown>();
  const checkpoint = async ({
    key,
    fn,
  }: {
    key: string;
    fn: () => unknown;
  }): Promise<any> => {
    if (!kept.has(key)) kept.set(key, await fn());
    return kept.get(key);
  };
  return { kept, checkpoint };
}
