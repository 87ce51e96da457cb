import { mockCredentials, TestBackend } from '@backstage/backend-test-utils';
import { PlatformEvent } from '@cellport/plugin-platform-common';
import { makeRequest } from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import request from 'supertest';

/** A minute ago: after the oldest raw events the portal keeps, inside every window it reads. */
export const recent = () => new Date(Date.now() - 60_000).toISOString();

/**
 * `n` requests (a routing decision and a usage event each), costing 1 and 100 input tokens
 * unless `scope` says otherwise.
 */
export function requests(
  n: number,
  scope: Parameters<typeof makeRequest>[0] = {},
): PlatformEvent[] {
  return Array.from({ length: n }, () =>
    makeRequest({
      timestamp: recent(),
      costUsd: 1,
      inputTokens: 100,
      ...scope,
    }),
  ).flat();
}

/** What the database counted, of one tenant or of all: raw rows and the day rollups. */
export async function counted(knex: Knex, tenant?: string) {
  const of = (table: string) =>
    tenant ? knex(table).where({ tenant }) : knex(table);
  const [usage] = await of('platform_usage_events').count('* as n');
  const [decisions] = await of('platform_routing_decisions').count('* as n');
  const [day] = await of('platform_rollups_day').select(
    knex.raw('coalesce(sum(requests), 0) as requests'),
    knex.raw('coalesce(sum(decisions), 0) as decisions'),
    knex.raw('coalesce(sum(cost_usd), 0) as cost'),
    knex.raw('coalesce(sum(input_tokens), 0) as tokens'),
  );
  return {
    usageRows: Number(usage.n),
    decisionRows: Number(decisions.n),
    requests: Number(day.requests),
    decisions: Number(day.decisions),
    cost: Number(day.cost),
    tokens: Number(day.tokens),
  };
}

/**
 * The authorization of a service token whose principal's subject is `subject`: a static
 * external access token's (a gateway's) comes as configured, a JWKS one's as `external:...`,
 * a backend plugin's own as `plugin:<id>`.
 */
export function serviceAuthorization(subject: string): string {
  return mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId: 'platform',
  });
}

/**
 * Posts a batch as a gateway does, by default with the external token of Backstage's mock
 * service principal; a string is sent as it is.
 */
export function postEvents(
  server: TestBackend['server'],
  body: object | string,
  authorization: string = mockCredentials.service.header(),
) {
  return request(server)
    .post('/api/platform/events')
    .set('authorization', authorization)
    .set('content-type', 'application/json')
    .send(typeof body === 'string' ? body : JSON.stringify(body));
}

/** `items` cut into parts of `size`, in order. */
export function cut<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, i * size + size),
  );
}

/** `items` in a random order. */
export function shuffled<T>(items: T[]): T[] {
  return items
    .map(item => ({ item, key: Math.random() }))
    .sort((a, b) => a.key - b.key)
    .map(({ item }) => item);
}
