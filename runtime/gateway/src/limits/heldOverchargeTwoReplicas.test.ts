import Redis from 'ioredis';
import type { UsageEvent } from '@cellport/plugin-platform-common';
import {
  chatCompletion,
  clockFromMinuteStart,
  eventually,
  KEYS,
  postChat,
  startGateway,
  testState,
} from '../__testUtils__/fixtures';
import { budgetRemaining } from '../__testUtils__/gatewayCalls';
import { CuttableLink } from '../__testUtils__/CuttableLink';
import { RawUpstream } from '../__testUtils__/RawUpstream';
import {
  freePort,
  startRedisServer,
  TestProcess,
} from '../__testUtils__/processes';
import { monthOf, NANO, tenantBudgetKey } from './Limiter';

// An upstream that ignores max_tokens (charged beyond the reservation) answers replica A while
// A's link to Redis is cut: the charge is held (HeldCharges) and must land once the link is
// back, so that the counter never forgets a served request and /metrics never shows a stale
// positive budget_remaining, on either replica.
jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('an overcharge settled while one replica is cut off from Redis', () => {
  let upstream: RawUpstream;
  let redis: TestProcess;
  let port: number;
  beforeAll(async () => {
    upstream = new RawUpstream();
    port = await freePort();
    redis = await startRedisServer(port);
  });
  afterAll(async () => {
    await upstream.stop();
    await redis.kill();
  });

  it('lands the held charge once the link is back: counter = sum of UsageEvents, budget_remaining negative on both replicas', async () => {
    const upstreamUrl = await upstream.start();
    let release!: () => void;
    const answered = new Promise<void>(resolve => {
      release = resolve;
    });
    let slow = true;
    let arrived = false;
    upstream.answer = async (_req, res) => {
      arrived = true;
      if (slow) await answered;
      // 20,000 output tokens (a token a byte of what it wrote), max_tokens was 10.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          chatCompletion(
            { content: 'y'.repeat(20_000) },
            { prompt: 20, completion: 20_000 },
          ),
        );
    };
    const state = testState(upstreamUrl, 'overcharge-v1');
    for (const profile of state.modelProfiles)
      profile.endpoint = `${upstreamUrl}/v1`;
    // Budget: $0.01; the overcharge costs about 20,000 × $0.6/M = $0.012.
    state.tenants[1].monthlyBudgetUsd = 0.01;
    const link = new CuttableLink({ host: '127.0.0.1', port });
    const linkPort = await link.open();
    // A month that began mid-test would read and refuse on a fresh budget.
    const now = clockFromMinuteStart();
    const a = await startGateway(upstreamUrl, {
      state,
      config: { redisUrl: `redis://127.0.0.1:${linkPort}` },
      overrides: { now },
    });
    const b = await startGateway(upstreamUrl, {
      state,
      config: { redisUrl: `redis://127.0.0.1:${port}` },
      overrides: { now },
    });
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'ignore max_tokens' }],
      max_tokens: 10,
    };
    try {
      const pending = postChat(a.url, body, { key: KEYS.brightpath });
      // Reserved through the link before it is cut, however long that takes.
      await eventually(() => arrived, 400);
      await link.cut();
      slow = false;
      release();
      const first = await pending;
      expect(first.status).toBe(200);
      await first.text();
      // Cut for 2 s more (a few retries fail), then back.
      await sleep(2000);
      await link.open();

      const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      const countedUsd = async () =>
        Number(
          (await admin.get(tenantBudgetKey('brightpath', monthOf(now())))) ?? 0,
        ) / NANO;
      const servedUsd = () =>
        ([...a.events.usage(), ...b.events.usage()] as UsageEvent[]).reduce(
          (sum, e) => sum + e.costUsd,
          0,
        );
      // Until the held charge has landed (its retries wait on a loaded machine); then 2 s more,
      // past two retries and a command's timeout, so a copy counted twice shows below.
      await eventually(
        async () => Math.abs((await countedUsd()) - servedUsd()) < 1e-9,
        800,
      ).catch(() => undefined);
      await sleep(2000);
      const served = servedUsd();
      const counted = await countedUsd();
      admin.disconnect();
      const remaining = await Promise.all(
        [a, b].map(r => budgetRemaining(r.url, 'brightpath')),
      );
      expect({ servedUsd: served, countedUsd: counted, remaining }).toEqual({
        servedUsd: expect.any(Number),
        countedUsd: expect.closeTo(served, 9),
        remaining: [
          expect.closeTo(0.01 - served, 9),
          expect.closeTo(0.01 - served, 9),
        ],
      });
      expect(served).toBeGreaterThan(0.01);
      // Both refuse the next request.
      const next = await Promise.all(
        [a, b].map(r => postChat(r.url, body, { key: KEYS.brightpath })),
      );
      expect(next.map(r => r.status)).toEqual([429, 429]);
    } finally {
      release();
      await a.gateway.stop();
      await b.gateway.stop();
      await link.cut();
    }
  });
});
