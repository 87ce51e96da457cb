import type {
  DecisionDetail,
  DecisionListItem,
  DecisionPage,
  DropReason,
  Outcome,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import { afterCursor, decodeCursor, pageOf } from '../paging/keysetCursor';

/** Which decisions to list. Every field narrows the list. */
export interface DecisionFilter {
  /** Epoch milliseconds, `[from, to)`. */
  from: number;
  to: number;
  cell?: string;
  tenant?: string;
  agent?: string;
  /** The model the caller asked for, or the profile chosen for it. */
  model?: string;
  outcome?: Outcome;
  /** Only decisions that did (true) or did not (false) fall back to another route. */
  fellBack?: boolean;
  /** Only decisions that dropped at least one candidate for this reason. */
  droppedFor?: DropReason;
  /** Only these tenants, e.g. the ones the caller may see. */
  tenants?: string[];
}

/**
 * The routing-decision explorer's reads. Newest first, keyset-paginated on (time, id), so a
 * page costs the same however deep it is and new decisions never shift later pages.
 */
export class DecisionStore {
  constructor(private readonly db: Knex) {}

  async list(
    filter: DecisionFilter,
    page: { limit: number; cursor?: string },
  ): Promise<DecisionPage> {
    if (filter.tenants && filter.tenants.length === 0) return { items: [] };
    const query = this.db('platform_routing_decisions')
      .select(
        'id',
        'request_id',
        'ts',
        'cell',
        'tenant',
        'agent',
        'requested_model',
        'chosen',
        'policy',
        'outcome',
        'error_class',
        'fell_back',
        'drop_reasons',
        'router_ms',
        'state_version',
        'demo',
      )
      .where('ts', '>=', filter.from)
      .andWhere('ts', '<', filter.to)
      .orderBy([
        { column: 'ts', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(page.limit + 1);
    if (filter.cell !== undefined) query.where('cell', filter.cell);
    if (filter.tenant !== undefined) query.where('tenant', filter.tenant);
    if (filter.agent !== undefined) query.where('agent', filter.agent);
    if (filter.tenants) query.whereIn('tenant', filter.tenants);
    if (filter.outcome !== undefined) query.where('outcome', filter.outcome);
    if (filter.fellBack !== undefined)
      query.where('fell_back', filter.fellBack);
    if (filter.model !== undefined) {
      const model = filter.model;
      query.where(q =>
        q.where('requested_model', model).orWhere('chosen', model),
      );
    }
    if (filter.droppedFor !== undefined) {
      query.where('drop_reasons', 'like', `%,${filter.droppedFor},%`);
    }
    if (page.cursor) {
      afterCursor(query, { time: 'ts', id: 'id' }, decodeCursor(page.cursor));
    }
    const rows = await query;
    return pageOf(rows.map(toListItem), page.limit, item => ({
      ts: Date.parse(item.timestamp),
      id: item.id,
    }));
  }

  /** A decision in full, or undefined when there is none with that id. */
  async get(id: string): Promise<DecisionDetail | undefined> {
    const row = await this.db('platform_routing_decisions')
      .select('body', 'request_id', 'demo')
      .where('id', id)
      .first();
    if (!row) return undefined;
    const usage = await this.db('platform_usage_events')
      .where('request_id', row.request_id)
      .first();
    return {
      decision: JSON.parse(row.body),
      usage: usage ? toUsage(usage) : undefined,
      demo: Boolean(row.demo),
    };
  }

  /** The tenant a decision belongs to, for permission checks before reading it. */
  async tenantOf(id: string): Promise<string | undefined> {
    const row = await this.db('platform_routing_decisions')
      .select('tenant')
      .where('id', id)
      .first();
    return row?.tenant;
  }
}

function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

function toListItem(row: any): DecisionListItem {
  return {
    id: row.id,
    requestId: row.request_id,
    timestamp: new Date(Number(row.ts)).toISOString(),
    cell: row.cell,
    tenant: row.tenant,
    agent: optional(row.agent),
    requestedModel: row.requested_model,
    chosen: optional(row.chosen),
    policy: row.policy,
    outcome: row.outcome,
    errorClass: optional(row.error_class),
    fellBack: Boolean(row.fell_back),
    // Stored from validated events, so every reason is a DropReason.
    dropReasons: String(row.drop_reasons)
      .split(',')
      .filter(Boolean) as DropReason[],
    routerDecisionMs: Number(row.router_ms),
    stateVersion: row.state_version,
    demo: Boolean(row.demo),
  };
}

function toUsage(row: any): UsageEvent {
  const event: UsageEvent = {
    id: row.id,
    schemaVersion: 1,
    type: 'usage',
    requestId: row.request_id,
    timestamp: new Date(Number(row.ts)).toISOString(),
    gateway: row.gateway,
    cell: row.cell,
    tenant: row.tenant,
    agent: optional(row.agent),
    stateVersion: row.state_version,
    modelProfile: optional(row.model_profile),
    provider: optional(row.provider),
    stream: Boolean(row.stream),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    tokensEstimated: Boolean(row.tokens_estimated),
    costUsd: Number(row.cost_usd),
    cached: Boolean(row.cached),
    gatewayOverheadMs: Number(row.gateway_overhead_ms),
    upstreamLatencyMs:
      row.upstream_ms === null ? undefined : Number(row.upstream_ms),
    timeToFirstTokenMs: row.ttft_ms === null ? undefined : Number(row.ttft_ms),
    totalLatencyMs: Number(row.total_ms),
    status: Number(row.status),
    outcome: row.outcome,
    errorClass: optional(row.error_class),
    demo: Boolean(row.demo) || undefined,
  };
  return JSON.parse(JSON.stringify(event));
}
