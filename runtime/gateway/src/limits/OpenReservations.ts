/**
 * This replica's reservations not yet settled, with what they hold of each budget counter: a
 * budget refusal says whether requests in flight hold enough of the budget for the refused
 * request to fit once they settle, or it is spent. Each reservation counts once, however often
 * it is settled.
 */
export class OpenReservations {
  /** Nano-dollars held, by budget counter. */
  private readonly byCounter = new Map<string, number>();
  private readonly open = new Map<
    string,
    { counters: readonly string[]; nano: number }
  >();

  hold(id: string, counters: readonly string[], nano: number): void {
    this.open.set(id, { counters, nano });
    for (const key of counters) {
      this.byCounter.set(key, (this.byCounter.get(key) ?? 0) + nano);
    }
  }

  release(id: string): void {
    const held = this.open.get(id);
    if (!held) return;
    this.open.delete(id);
    for (const key of held.counters) {
      const left = (this.byCounter.get(key) ?? 0) - held.nano;
      if (left > 0) this.byCounter.set(key, left);
      else this.byCounter.delete(key);
    }
  }

  /** Nano-dollars this replica's requests in flight hold of a budget counter. */
  heldNano(counter: string): number {
    return this.byCounter.get(counter) ?? 0;
  }
}
