/**
 * Events reach the portal whatever it does wrong: a batch it fails on every time, answers
 * slower than the gateway waits, no answer at all, a connection dropped after it stored a
 * batch, or a proxy before it that refuses large bodies. Every event of an answered request
 * arrives, none is set aside, and only a batch the portal may have stored comes again. Each
 * test runs a gateway process on a spool of its own.
 */
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  EventReceiver,
  startSimulator,
  testState,
} from '../__testUtils__/fixtures';
import {
  chatOnce,
  deadLetters,
  GatewayProcesses,
  spooledGatewayWork,
  spoolSegments,
} from '../__testUtils__/spooledGateway';

// A gateway process a test, and portals that keep it waiting for seconds.
jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Requests `from`.. one after another, `gapMs` apart; the ids of those answered 200. */
async function serially(
  url: string,
  from: number,
  count: number,
  gapMs = 0,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) {
    const { status, id } = await chatOnce(url, i);
    if (status === 200) ids.push(id);
    if (gapMs) await sleep(gapMs);
  }
  return ids;
}

describe('delivery to a portal that misbehaves', () => {
  let simulator: SimulatorServer;
  let portal: EventReceiver;
  const gateways = new GatewayProcesses();
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  beforeEach(() => {
    portal = new EventReceiver();
  });
  afterEach(async () => {
    await gateways.killAll();
    await portal.stop();
  });
  afterAll(() => simulator.stop());

  /** Segments sealed at a request's two events, not by time. */
  const ONE_REQUEST_A_SEGMENT = { GATEWAY_EVENTS_SEGMENT_EVENTS: '2' };

  /** A gateway process sending to `portal`, on a spool of its own. */
  async function startSpooledGateway(extra: NodeJS.ProcessEnv = {}) {
    const work = spooledGatewayWork(testState(simulator.url));
    const gateway = await gateways.start(work.env(await portal.start(), extra));
    return { gateway, spoolDir: work.spoolDir };
  }

  it('does not hold back later events behind a segment the portal answers 500 for ever', async () => {
    const poison: { id?: string } = {};
    // Everything fails until the first request's id is known, then only its segment does.
    portal.fault = ({ ids }, res) => {
      if (poison.id !== undefined && !ids.includes(`${poison.id}-us`)) {
        return false;
      }
      res.writeHead(500).end('{"error":"internal"}');
      return true;
    };
    // Each request's two events: a segment of their own, however loaded the machine.
    const { gateway } = await startSpooledGateway(ONE_REQUEST_A_SEGMENT);
    const poisonId = (await chatOnce(gateway.url, 0)).id;
    poison.id = poisonId;
    const later = await serially(gateway.url, 1, 8, 150);
    await eventually(() => portal.withoutEvents(later).length === 0, 800);
    expect(portal.withoutEvents([poisonId])).toEqual([poisonId]);
  });

  it('does not hold back later events behind two segments in a row the portal answers 500 for ever', async () => {
    const poison = new Set<string>();
    let known = false;
    // Everything fails until both poisoned ids are known, then only their segments do.
    portal.fault = ({ ids }, res) => {
      if (known && !ids.some(id => poison.has(id))) return false;
      res.writeHead(500).end('{"error":"internal"}');
      return true;
    };
    const { gateway } = await startSpooledGateway(ONE_REQUEST_A_SEGMENT);
    for (const i of [0, 1]) {
      poison.add(`${(await chatOnce(gateway.url, i)).id}-us`);
    }
    known = true;
    const later = await serially(gateway.url, 2, 8, 150);
    await eventually(() => portal.withoutEvents(later).length === 0, 800);
    expect(
      portal.withoutEvents([...poison].map(id => id.slice(0, -3))),
    ).toHaveLength(2);
  });

  it('delivers everything to a portal that answers after the wait for it, by waiting longer', async () => {
    // Stored at once, answered 2.5 s later: past the gateway's first wait of 1 s, and its
    // second; it doubles its wait after each timeout until an answer comes within it.
    portal.answerDelayMs = () => 2_500;
    const { gateway, spoolDir } = await startSpooledGateway({
      GATEWAY_EVENTS_TIMEOUT_MS: '1000',
    });
    const ids = await serially(gateway.url, 0, 4);
    await sleep(300);
    const more = await serially(gateway.url, 4, 4);
    await eventually(
      () =>
        portal.withoutEvents([...ids, ...more]).length === 0 &&
        spoolSegments(spoolDir).length === 0,
      1_000,
    );
    expect(deadLetters(spoolDir)).toEqual([]);
  });

  it('answers requests while the portal hangs on a batch, and delivers every event once it answers again', async () => {
    let hung = false;
    // The first batch is read and never answered, nor stored.
    portal.fault = () => {
      if (hung) return false;
      hung = true;
      return true;
    };
    const { gateway } = await startSpooledGateway({
      GATEWAY_EVENTS_TIMEOUT_MS: '1000',
    });
    const startedAt = Date.now();
    const ids = await serially(gateway.url, 0, 30, 20);
    expect(Date.now() - startedAt).toBeLessThan(8_000);
    await eventually(() => portal.withoutEvents(ids).length === 0, 800);
    expect(portal.doubled()).toEqual([]);
  });

  it('sends again only the batches the portal stored but dropped the connection of before answering', async () => {
    let drops = 0;
    portal.fault = ({ raw }, res) => {
      if (drops === 3) return false;
      drops += 1;
      portal.store(JSON.parse(raw).events);
      res.socket?.destroy();
      return true;
    };
    const { gateway, spoolDir } = await startSpooledGateway({
      GATEWAY_EVENTS_SEGMENT_EVENTS: '10',
    });
    const ids = await serially(gateway.url, 0, 40, 10);
    await eventually(
      () =>
        portal.withoutEvents(ids).length === 0 &&
        spoolSegments(spoolDir).length === 0,
      800,
    );
    // Each dropped batch (a segment: at most twice its 10 events) once more; nothing else.
    expect(portal.doubled().length).toBeLessThanOrEqual(3 * 2 * 10);
    expect(deadLetters(spoolDir)).toEqual([]);
  });

  it('halves batches a proxy before the portal refuses as too large, delivering each event once and setting none aside', async () => {
    portal.fault = ({ ids }, res) => {
      if (ids.length <= 3) return false;
      res.writeHead(413).end();
      return true;
    };
    const { gateway, spoolDir } = await startSpooledGateway();
    // Six callers at once: segments of many events.
    const ids = (
      await Promise.all(
        Array.from({ length: 6 }, (_, caller) =>
          serially(gateway.url, caller * 100, 15),
        ),
      )
    ).flat();
    await eventually(() => portal.withoutEvents(ids).length === 0, 800);
    expect(portal.doubled()).toEqual([]);
    expect(deadLetters(spoolDir)).toEqual([]);
  });
});
