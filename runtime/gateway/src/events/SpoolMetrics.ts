import { Counter, Gauge, Registry } from 'prom-client';

/** What the gauges read from the spool when scraped. */
interface ObservedSpool {
  depth(): { segments: number; bytes: number };
  fillRatio(): number;
}

/** The spool's depth, read when scraped, what its byte cap dropped and what was set aside. */
export class SpoolMetrics {
  readonly dropped: Counter;
  readonly deadLettered: Counter;
  readonly shed: Counter;
  readonly segments: Gauge;
  readonly bytes: Gauge;
  readonly fillRatio: Gauge;
  private spool?: ObservedSpool;

  constructor(registry: Registry) {
    const depth = () => this.spool?.depth() ?? { segments: 0, bytes: 0 };
    const fill = () => this.spool?.fillRatio() ?? 0;
    this.dropped = new Counter({
      name: 'cellport_gateway_events_dropped_total',
      help: 'Events dropped, oldest first, to stay under the spool byte cap (or, while the spool cannot be written, the cap of events held in memory)',
      registers: [registry],
    });
    // Not in dropped: the byte cap may delete a set-aside segment from dead/ later, and dropped
    // counts its events then.
    this.deadLettered = new Counter({
      name: 'cellport_gateway_events_dead_lettered_total',
      help: "Events the receiver refused for good (never to be delivered); their segments are set aside in the spool's dead/ folder",
      registers: [registry],
    });
    this.shed = new Counter({
      name: 'cellport_gateway_events_shed_total',
      help: "Events of requests refused for the caller's own fault or limit (outcome rejected) that cost nothing, not spooled while the spool held over half its byte cap or its volume ran low, to keep room for billing events and errors",
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
    this.fillRatio = new Gauge({
      name: 'cellport_gateway_spool_fill_ratio',
      help: 'What the spool takes on disk as its byte cap counts it (whole 4 KiB blocks, dead/ included) over the cap: past 1 its oldest events are dropped',
      registers: [registry],
      collect() {
        this.set(fill());
      },
    });
  }

  /** The spool whose depth the gauges report. */
  observe(spool: ObservedSpool): void {
    this.spool = spool;
  }
}
