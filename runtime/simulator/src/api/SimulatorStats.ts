/** Counters the admin API exposes, so tests can see what reached the upstream. */
export interface SimulatorCounters {
  requests: number;
  completed: number;
  /** Requests whose client went away before the answer was complete. */
  cancelled: number;
  faulted: number;
  byModel: Record<string, number>;
}

export class SimulatorStats {
  private counters: SimulatorCounters = SimulatorStats.empty();

  private static empty(): SimulatorCounters {
    return { requests: 0, completed: 0, cancelled: 0, faulted: 0, byModel: {} };
  }

  requestStarted(model: string): void {
    this.counters.requests += 1;
    this.counters.byModel[model] = (this.counters.byModel[model] ?? 0) + 1;
  }

  requestCompleted(): void {
    this.counters.completed += 1;
  }

  requestCancelled(): void {
    this.counters.cancelled += 1;
  }

  requestFaulted(): void {
    this.counters.faulted += 1;
  }

  snapshot(): SimulatorCounters {
    return { ...this.counters, byModel: { ...this.counters.byModel } };
  }

  reset(): void {
    this.counters = SimulatorStats.empty();
  }
}
