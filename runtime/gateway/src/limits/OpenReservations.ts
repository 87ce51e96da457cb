/**
 * This replica's reservations not yet settled, counted by the budget counters they hold: a
 * budget refusal says whether requests in flight hold part of the budget (which they give back
 * when they settle) or it is spent. Each reservation counts once, however often it is settled.
 */
export class OpenReservations {
  private readonly byCounter = new Map<string, number>();
  private readonly ids = new Set<string>();

  open(id: string, counters: readonly string[]): void {
    this.ids.add(id);
    for (const key of counters) {
      this.byCounter.set(key, (this.byCounter.get(key) ?? 0) + 1);
    }
  }

  close(id: string, counters: readonly string[]): void {
    if (!this.ids.delete(id)) return;
    for (const key of counters) {
      const left = (this.byCounter.get(key) ?? 1) - 1;
      if (left > 0) this.byCounter.set(key, left);
      else this.byCounter.delete(key);
    }
  }

  holds(counter: string): boolean {
    return this.byCounter.has(counter);
  }
}
