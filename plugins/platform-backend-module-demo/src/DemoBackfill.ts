import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AgentEntity,
  CellEntity,
  DEFAULT_SLOS,
  entityRefName,
  PlatformEvent,
  SloObjective,
} from '@cellport/plugin-platform-common';
import {
  cellRoutingState,
  PlatformHistoryConnection,
} from '@cellport/plugin-platform-node';
import { CompiledState } from '@cellport/router';
import { DEMO_OUTAGE_ANNOTATION, demoRequestsFor } from './demoRequests';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BATCH_SIZE = 2000;

export interface BackfillResult {
  days: number;
  from: string;
  to: string;
  events: number;
  stored: number;
  duplicates: number;
}

/** The strictest availability target of the agent's objectives and its cell's (or their defaults). */
function strictestAvailability(
  agent: AgentEntity,
  cell: CellEntity | undefined,
): number | undefined {
  const objectives: SloObjective[] = [
    ...(agent.spec.slos ?? DEFAULT_SLOS),
    ...(cell ? cell.spec.slos ?? DEFAULT_SLOS : []),
  ];
  const targets = objectives
    .filter(objective => objective.indicator === 'availability')
    .map(objective => objective.target);
  return targets.length > 0 ? Math.max(...targets) : undefined;
}

/**
 * Backfills days of realistic history for the catalog's agents through the platform's ingest
 * path, marked as demo data, so dashboards are not empty on first start. Ids derive from
 * agent and time, so running it again stores nothing twice.
 */
export class DemoBackfill {
  constructor(
    private readonly platform: PlatformHistoryConnection,
    private readonly now: () => number,
    private readonly logger: LoggerService,
  ) {}

  async backfill(days: number): Promise<BackfillResult> {
    const entities = await this.platform.entities();
    const to = Math.floor(this.now() / HOUR_MS) * HOUR_MS;
    const from = to - days * DAY_MS;
    let batch: PlatformEvent[] = [];
    const totals = { events: 0, stored: 0, duplicates: 0 };
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await this.platform.storeDemoEvents(batch);
      totals.events += batch.length;
      totals.stored += result.stored;
      totals.duplicates += result.duplicates;
      batch = [];
    };
    const cells = new Map<
      string,
      { entity: CellEntity; state: CompiledState; outageFrom: number }
    >();
    for (const cell of entities.cells) {
      const outageHours = Number(
        cell.metadata.annotations?.[DEMO_OUTAGE_ANNOTATION] ?? 0,
      );
      cells.set(cell.metadata.name, {
        entity: cell,
        state: cellRoutingState(cell.metadata.name, entities).state,
        outageFrom: to - outageHours * HOUR_MS,
      });
    }
    for (let hour = from; hour < to; hour += HOUR_MS) {
      for (const agent of entities.agents) {
        const cell = cells.get(entityRefName(agent.spec.cell));
        batch.push(
          ...demoRequestsFor(agent, cell?.state, hour, {
            outage: cell !== undefined && hour >= cell.outageFrom,
            availabilityTarget: strictestAvailability(agent, cell?.entity),
          }),
        );
        if (batch.length >= BATCH_SIZE) await flush();
      }
    }
    await flush();
    this.logger.info(
      `Demo backfill of ${days} days: ${totals.stored} events stored, ${totals.duplicates} already there`,
    );
    return {
      days,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...totals,
    };
  }
}
