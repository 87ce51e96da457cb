import Redis from 'ioredis';
import type { SimulatorServer } from '@cellport/simulator';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  clockFromMinuteStart,
  eventually,
  KEYS,
  postChat,
  RecordingEventSink,
  startGateway,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import { budgetRemaining } from '../__testUtils__/gatewayCalls';
import { CuttableLink } from '../__testUtils__/CuttableLink';
import {
  freePort,
  startRedisServer,
  TestProcess,
} from '../__testUtils__/processes';
import { monthOf, NANO, tenantBudgetKey } from './Limiter';
import { maxRequestCostUsd } from '../usage/cost';
import { promptTokenBound } from './promptTokenBound';
import type { Gateway } from '../createGateway';

// Two replicas share a Redis of the test's own; replica A reaches it through a link that is
// paused (commands written, replies held past the 1 s timeout, then delivered: applied, reply
// lost) and Redis is frozen (SIGSTOP) mid-burst, on a budget the burst spends. README: fail
// closed (503 limits_unavailable, never 500 or a hang), total ≤ budget + one request's maximum
// cost, the counter never lower than what the served requests cost, /metrics never a stale
// positive budget_remaining.
jest.setTimeout(90_000);

const ANSWER_BOUND_MS = 5_000;
const askBody = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'two replicas under faults' }],
  max_tokens: 100,
};
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('two replicas on a nearly spent budget while Redis faults', () => {
  let simulator: SimulatorServer;
  let redis: TestProcess;
  let port: number;
  beforeAll(async () => {
    simulator = await startSimulator();
    port = await freePort();
    redis = await startRedisServer(port);
  });
  afterAll(async () => {
    redis.child.kill('SIGCONT');
    await simulator.stop();
    await redis.kill();
  });

  function maxCost(): number {
    const profile = testState(simulator.url).modelProfiles.find(
      p => p.id === 'us-small',
    )!;
    return maxRequestCostUsd(
      profile,
      promptTokenBound(Buffer.from(JSON.stringify(askBody))),
      100,
    );
  }

  it('counts every served request once and never more than budget + one request, across a paused link and a frozen Redis', async () => {
    const budget = maxCost() * 200.5;
    const state = testState(simulator.url, 'faults-v1');
    state.tenants[1].monthlyBudgetUsd = budget;
    const link = new CuttableLink({ host: '127.0.0.1', port });
    const linkPort = await link.open();
    // A month that began mid-test would give a second budget.
    const now = clockFromMinuteStart();
    const replicas: Array<{
      gateway: Gateway;
      url: string;
      events: RecordingEventSink;
    }> = [];
    replicas.push(
      await startGateway(simulator.url, {
        state,
        config: { redisUrl: `redis://127.0.0.1:${linkPort}` },
        overrides: { now },
      }),
      await startGateway(simulator.url, {
        state,
        config: { redisUrl: `redis://127.0.0.1:${port}` },
        overrides: { now },
      }),
    );
    const answers: Array<{
      replica: number;
      status: number;
      code?: string;
      ms: number;
    }> = [];
    let stopped = false;
    const worker = async (replica: number) => {
      for (let n = 0; n < 2000 && !stopped; n++) {
        const started = Date.now();
        try {
          const response = await postChat(replicas[replica].url, askBody, {
            key: KEYS.brightpath,
            signal: AbortSignal.timeout(ANSWER_BOUND_MS),
          });
          const body = await response.json();
          answers.push({
            replica,
            status: response.status,
            code: body.error?.code,
            ms: Date.now() - started,
          });
        } catch (error) {
          answers.push({
            replica,
            status: 0,
            code: (error as Error).message,
            ms: Date.now() - started,
          });
        }
        await sleep(30);
      }
    };
    const workers = Array.from({ length: 12 }, (_, i) => worker(i % 2));
    try {
      await sleep(300);
      link.pause();
      await sleep(1500);
      link.resume();
      await sleep(300);
      redis.child.kill('SIGSTOP');
      await sleep(1500);
      redis.child.kill('SIGCONT');
      await sleep(1500);
      stopped = true;
      await Promise.all(workers);

      const unexpected = answers.filter(
        a =>
          !(a.status === 200) &&
          !(a.status === 503 && a.code === 'limits_unavailable') &&
          !(a.status === 429 && a.code === 'budget_exhausted'),
      );
      expect(unexpected).toEqual([]);
      const ok = answers.filter(a => a.status === 200).length;
      const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      const read = async () => {
        const usage = replicas.flatMap(r => r.events.usage() as UsageEvent[]);
        return {
          served: usage.reduce((sum, e) => sum + e.costUsd, 0),
          counted:
            Number(
              (await admin.get(
                tenantBudgetKey('brightpath', monthOf(now())),
              )) ?? 0,
            ) / NANO,
          open: (await admin.keys('cellport:{brightpath}:reservation:*'))
            .length,
          remaining: await Promise.all(
            replicas.map(r => budgetRemaining(r.url, 'brightpath')),
          ),
        };
      };
      // Settlements held while Redis was away land by retries every 500 ms (later on a loaded
      // machine): each deletes its reservation. Once none is open, 2.5 s more, so a refund
      // that gives back too much, or a copy counted twice, shows in the checks below.
      await eventually(async () => {
        const { counted, served, open } = await read();
        return open === 0 && counted >= served - 1e-9;
      }, 800).catch(() => undefined);
      await sleep(2500);
      const seen = await read();
      admin.disconnect();
      const { served, counted, open, remaining } = seen;
      const summary = {
        ok,
        refused503: answers.filter(a => a.status === 503).length,
        refused429: answers.filter(a => a.status === 429).length,
        servedUsd: served,
        countedUsd: counted,
        openReservations: open,
        budgetUsd: budget,
        maxCostUsd: maxCost(),
        remaining,
      };
      // Served requests: never forgotten by the counter.
      expect({
        countedAtLeastServed: counted >= served - 1e-9,
        ...summary,
      }).toEqual({
        countedAtLeastServed: true,
        ...summary,
      });
      // Never more than budget + one request's maximum cost.
      expect({
        servedWithinBound: served <= budget + maxCost() + 1e-9,
        ...summary,
      }).toEqual({
        servedWithinBound: true,
        ...summary,
      });
      // /metrics: never more left than what was truly left.
      for (const left of remaining) {
        expect({
          metricNotAboveTruth:
            left !== undefined && left <= budget - served + 1e-9,
          ...summary,
        }).toEqual({
          metricNotAboveTruth: true,
          ...summary,
        });
      }
      expect(ok).toBeGreaterThan(10);
    } finally {
      stopped = true;
      redis.child.kill('SIGCONT');
      await Promise.all(workers);
      await Promise.all(replicas.map(r => r.gateway.stop()));
      await link.cut();
    }
  });
});
