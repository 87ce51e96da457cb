import {
  IngestResult as PlatformIngestResult,
  PlatformEvent,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import { Clock, refusesData } from '@cellport/plugin-platform-node';
import { DAY_MS } from '../rollups/timeRanges';
import { RollupAccumulator } from '../rollups/RollupAccumulator';
import { writeRollups } from '../rollups/RollupWriter';
import {
  DECISION_COLUMNS,
  decisionRow,
  USAGE_COLUMNS,
  usageRow,
} from './eventRows';
import { insertNewRows } from '../../database/bulkWrite';

/** What happened to a batch (`stored + duplicates` is the number received): the API's answer. */
export type IngestResult = Pick<PlatformIngestResult, 'stored' | 'duplicates'>;

/** An event the database refused to store, and why in the database's words. */
export interface UnstorableEvent {
  id: string;
  reason: string;
}

/** A batch stored as far as the database takes it: the events it refused, apart. */
export interface IsolatedIngestResult extends IngestResult {
  unstorable: UnstorableEvent[];
}

export interface IngestOptions {
  /** Marks every event of the batch as backfilled demo history. */
  demo?: boolean;
}

/**
 * Stores runtime events and adds them to the rollups, exactly once per event id. Both HTTP
 * batches and the NATS consumer come through here. Raw rows and rollups are written in one
 * transaction: a batch is either stored and counted whole or not at all, and a replayed event
 * (at-least-once delivery) finds its id taken and is not counted again.
 */
export class IngestService {
  /**
   * `retention`: raw events are purged after `rawDays`, their rollups kept: an event older
   * than that may have been stored and purged already, and its id would not stop it being
   * counted again. Without it (tests, backfills), events of any age are taken.
   */
  constructor(
    private readonly db: Knex,
    private readonly retention?: { clock: Clock; rawDays: number },
  ) {}

  /** Epoch ms before which an event is refused (see the constructor); undefined: none. */
  notBeforeMs(): number | undefined {
    return this.retention
      ? this.retention.clock.now() - this.retention.rawDays * DAY_MS
      : undefined;
  }

  /**
   * Stores a batch as `ingest` does; when the database refuses the data of some event the
   * contract let through, the batch is stored in halves, down to that event, which is set
   * apart: one event must not keep a thousand others from ever being stored (the sender would
   * retry the batch for ever). A refusal that may pass on a retry still fails the batch.
   */
  async ingestIsolating(
    events: PlatformEvent[],
    options: IngestOptions = {},
  ): Promise<IsolatedIngestResult> {
    try {
      return { ...(await this.ingest(events, options)), unstorable: [] };
    } catch (error) {
      if (!refusesData(error)) throw error;
      if (events.length === 1) {
        const reason = databaseReason(error);
        return {
          stored: 0,
          duplicates: 0,
          unstorable: [{ id: events[0].id, reason }],
        };
      }
      const half = Math.ceil(events.length / 2);
      const first = await this.ingestIsolating(events.slice(0, half), options);
      const second = await this.ingestIsolating(events.slice(half), options);
      return {
        stored: first.stored + second.stored,
        duplicates: first.duplicates + second.duplicates,
        unstorable: [...first.unstorable, ...second.unstorable],
      };
    }
  }

  async ingest(
    events: PlatformEvent[],
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    const decisions = uniqueById(
      events.filter((e): e is RoutingDecision => e.type === 'routing-decision'),
    );
    const usage = uniqueById(
      events.filter((e): e is UsageEvent => e.type === 'usage'),
    );
    const demo = options.demo ?? false;

    const stored = await this.db.transaction(async trx => {
      const accumulator = new RollupAccumulator();
      const newDecisions = await insertNewRows(
        trx,
        'platform_routing_decisions',
        DECISION_COLUMNS,
        decisions.map(d => decisionRow(d, demo)),
      );
      for (const decision of decisions) {
        if (newDecisions.has(decision.id)) {
          accumulator.addDecision(decision, demo);
        }
      }
      const newUsage = await insertNewRows(
        trx,
        'platform_usage_events',
        USAGE_COLUMNS,
        usage.map(u => usageRow(u, demo)),
      );
      for (const event of usage) {
        if (newUsage.has(event.id)) {
          accumulator.addUsage(event, demo || event.demo === true);
        }
      }
      await writeRollups(trx, accumulator);
      return newDecisions.size + newUsage.size;
    });

    return { stored, duplicates: events.length - stored };
  }
}

/**
 * The database's own words: knex puts the statement before them (`insert into … - value too
 * long …`), which says nothing more and would hide them in a cut message.
 */
function databaseReason(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  return message
    .slice(message.lastIndexOf(' - ') + 1)
    .replace(/^- /, '')
    .slice(0, 300);
}

function uniqueById<T extends { id: string }>(events: T[]): T[] {
  const seen = new Set<string>();
  return events.filter(event => {
    if (seen.has(event.id)) return false;
    seen.add(event.id);
    return true;
  });
}
