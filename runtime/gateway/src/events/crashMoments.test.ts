/**
 * A gateway killed at any moment loses no event of a request it answered. Segments sealed
 * every millisecond and every four events, under concurrent load, put SIGKILLs at random
 * moments inside a seal, a rename, a send, or between the portal's answer and the segment's
 * deletion; every restart goes on from the same spool. `killedGateway.test.ts` kills at two
 * chosen moments with large segments; this test is about the moments in between.
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

// Five gateway processes, started one after another.
jest.setTimeout(60_000);

const SEGMENT_EVENTS = 4;
const KILLS = 4;

describe('a gateway SIGKILLed at random moments under concurrent load', () => {
  let simulator: SimulatorServer;
  const portal = new EventReceiver();
  const gateways = new GatewayProcesses();
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await gateways.killAll();
    await portal.stop();
    await simulator.stop();
  });

  it('delivers both events of every answered request, redelivering at most the batch in flight at each kill', async () => {
    // Answers after 0-20 ms, so kills fall during sends too.
    portal.answerDelayMs = () => Math.floor(Math.random() * 20);
    const work = spooledGatewayWork(testState(simulator.url));
    const env = work.env(await portal.start(), {
      GATEWAY_EVENTS_FLUSH_MS: '1',
      GATEWAY_EVENTS_SEGMENT_EVENTS: String(SEGMENT_EVENTS),
    });
    const answered: string[] = [];
    const counter = { next: 0 };
    for (let kill = 0; kill < KILLS; kill++) {
      const gateway = await gateways.start(env);
      // Every other kill comes the instant an answer arrived, the others after a random time.
      const onAnswer = kill % 2 === 1;
      const killAt = answered.length + 40 + Math.floor(Math.random() * 60);
      let killed = false;
      const caller = async () => {
        while (!killed) {
          let answer;
          try {
            answer = await chatOnce(gateway.url, counter.next++);
          } catch {
            return; // The gateway is gone.
          }
          if (answer.status === 200) answered.push(answer.id);
          if (onAnswer && !killed && answered.length >= killAt) {
            killed = true;
            gateway.child.kill('SIGKILL');
          }
        }
      };
      const callers = Array.from({ length: 8 }, caller);
      if (!onAnswer) {
        await new Promise(resolve =>
          setTimeout(resolve, 400 + Math.random() * 1200),
        );
        killed = true;
        await gateway.kill('SIGKILL');
      }
      await Promise.all(callers);
      await gateway.kill('SIGKILL');
      // Down across one restart: segments pile up on disk too.
      if (kill === 1) await portal.stop();
      if (kill === 2) await portal.start();
    }
    const last = await gateways.start(env);
    await eventually(() => portal.withoutEvents(answered).length === 0, 1_200);
    expect(deadLetters(work.spoolDir)).toEqual([]);
    // A segment holds at most twice its events (a turn's write on top of a nearly full one).
    expect(portal.doubled().length).toBeLessThanOrEqual(
      KILLS * 2 * SEGMENT_EVENTS,
    );
    // Both events of a request share a segment: they arrive together, as often.
    expect(
      answered.filter(
        id =>
          portal.deliveriesById.get(`${id}-rd`) !==
          portal.deliveriesById.get(`${id}-us`),
      ),
    ).toEqual([]);
    await last.kill('SIGTERM');
    expect(spoolSegments(work.spoolDir)).toEqual([]);
  });
});
