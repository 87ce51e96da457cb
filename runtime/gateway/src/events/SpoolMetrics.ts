import { Counter, Gauge, Registry } from 'prom-client';

/** The spool's depth, read when scraped, and what its byte cap dropped. */
export class SpoolMetrics {
  readonly dropped: Counter;
  readonly segments: Gauge;
  readonly bytes: Gauge;
  private spool?: { depth(): { segments: number; bytes: number } };

  constructor(registry: Registry) {
    const depth = () => this.spool?.depth() ?? { segments: 0, bytes: 0 };
    this.dropped = new Counter({
      name: 'cellport_gateway_events_dropped_total',
      help: 'Events dropped, oldest first, to stay under the spool byte cap (or, while the spool cannot be written, the cap of events held in memory)',
      registers: [registry],
    });
    this.segments = new Gauge({
      name: 'cellport_gateway_spool_segments',
      help: 'Event segments on disk not yet delivered, the open one included',
      registers: [registry],
      collect() {
        this.set(depth().segments);
      },
    });
    this.bytes = new Gauge({
      name: 'cellport_gateway_spool_bytes',
      help: 'Bytes of event segments on disk not yet delivered',
      registers: [registry],
      collect() {
        this.set(depth().bytes);
      },
    });
  }

  /** The spool whose depth the gauges report. */
  observe(spool: { depth(): { segments: number; bytes: number } }): void {
    this.spool = spool;
  }
}
