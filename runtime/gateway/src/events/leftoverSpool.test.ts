/**
 * A gateway delivers what an earlier run left in its spool, whatever shape it is in: segments
 * a kill left open with a torn last write, torn sealed ones, names of older gateways or of a
 * clock that was wrong, empty and stray files, a corrupt line in the middle of a segment. It
 * loses no event it can read, sets none aside, and goes on with new requests.
 */
import {
  appendFileSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
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

// Two gateway processes a test.
jest.setTimeout(60_000);

const SEALED = /^\d{15}-\d{6}-[0-9a-z]+\.jsonl$/;

describe('a spool left by an earlier run', () => {
  let simulator: SimulatorServer;
  let portal: EventReceiver;
  const gateways = new GatewayProcesses();
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  beforeEach(async () => {
    // Down while the spool fills; it comes back on the same port.
    portal = new EventReceiver();
    await portal.start();
    await portal.stop();
  });
  afterEach(async () => {
    await gateways.killAll();
    await portal.stop();
  });
  afterAll(() => simulator.stop());

  /**
   * Fills a spool with `segments` sealed segments of two requests each, then kills the gateway.
   * Returns the answered ids, the sealed names (oldest first) and how to start on it again.
   */
  async function fillSpool(segments: number) {
    const work = spooledGatewayWork(testState(simulator.url));
    const env = work.env(`http://127.0.0.1:${portal.port}`);
    const sealedNames = () =>
      readdirSync(work.spoolDir)
        .filter(name => SEALED.test(name))
        .sort();
    // Segments sealed at four events (two requests), not by time: on a loaded machine two
    // requests can outlast the flush interval.
    const gateway = await gateways.start({
      ...env,
      GATEWAY_EVENTS_SEGMENT_EVENTS: '4',
      GATEWAY_EVENTS_FLUSH_MS: '600000',
    });
    const ids: string[] = [];
    for (let i = 0; i < segments; i++) {
      ids.push((await chatOnce(gateway.url, 2 * i)).id);
      ids.push((await chatOnce(gateway.url, 2 * i + 1)).id);
    }
    await eventually(() => sealedNames().length === segments);
    await gateway.kill('SIGKILL');
    return { ids, sealed: sealedNames(), spoolDir: work.spoolDir, env };
  }

  it('delivers every event past torn tails, empty files, stray names and clock-skewed names, and goes on with new requests', async () => {
    const { ids, sealed, spoolDir, env } = await fillSpool(8);
    expect(sealed).toHaveLength(8);
    const path = (name: string) => join(spoolDir, name);
    const newest = sealed[sealed.length - 1];
    // Back to a segment a kill left open, with a torn last write.
    renameSync(path(newest), path(`.${newest}.open`));
    appendFileSync(path(`.${newest}.open`), '{"id":"torn-write","type":"usa');
    // A sealed segment with a torn last line (an older gateway's).
    appendFileSync(path(sealed[0]), '{"id":"torn-sealed","typ');
    // An older gateway's name (its pid as the instance).
    renameSync(path(sealed[1]), path(`${sealed[1].slice(0, 23)}12345.jsonl`));
    // A clock that was ahead (year 2100), and one that was reset (1970).
    renameSync(
      path(sealed[2]),
      path(`004102444800000-000001-${'f'.repeat(10)}.jsonl`),
    );
    renameSync(
      path(sealed[3]),
      path(`000000000000001-000001-${'a'.repeat(10)}.jsonl`),
    );
    // Empty files: a sealed segment and an open one.
    writeFileSync(path(`001700000000000-000001-${'e'.repeat(10)}.jsonl`), '');
    writeFileSync(
      path(`.001700000000001-000001-${'e'.repeat(10)}.jsonl.open`),
      '',
    );
    // Strays: an old temporary file, a text file, a segment of blank lines.
    writeFileSync(path('.001700000000002-000001-1.jsonl.tmp'), '{"x":1}\n');
    writeFileSync(path('README.txt'), 'hello\n');
    writeFileSync(
      path(`001700000000003-000001-${'b'.repeat(10)}.jsonl`),
      '\n\n',
    );

    await portal.start();
    const gateway = await gateways.start(env);
    const more: string[] = [];
    for (let i = 0; i < 10; i++) {
      more.push((await chatOnce(gateway.url, 100 + i)).id);
    }
    await eventually(
      () => portal.withoutEvents([...ids, ...more]).length === 0,
      800,
    );
    expect(deadLetters(spoolDir)).toEqual([]);
    expect(portal.doubled()).toEqual([]);
  });

  it('loses only the corrupt line in the middle of a sealed segment, not the segment', async () => {
    const { sealed, spoolDir, env } = await fillSpool(3);
    const victim = join(spoolDir, sealed[0]);
    const lines = readFileSync(victim, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    const victimIds = lines.map(line => JSON.parse(line).id as string);
    lines.splice(2, 0, '\u0000\u0000\u0000\u0000');
    writeFileSync(victim, `${lines.join('\n')}\n`);

    await portal.start();
    await gateways.start(env);
    await eventually(() => spoolSegments(spoolDir).length === 0, 800);
    expect(victimIds.filter(id => !portal.received.has(id))).toEqual([]);
  });
});
