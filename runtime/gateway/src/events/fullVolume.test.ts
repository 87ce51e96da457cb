import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  postChat,
  startSimulator,
  testState,
  EventReceiver,
} from '../__testUtils__/fixtures';
import {
  freePort,
  startGatewayProcess,
  TestProcess,
} from '../__testUtils__/processes';
import { mountSmallVolume, SmallVolume } from '../__testUtils__/smallVolume';
import { DiskSpool, SpoolDrop } from './DiskSpool';

// Two gateway processes start in this test; each takes a few seconds to load.
jest.setTimeout(90_000);

/** 1 MiB: about 700 requests' events, far below the spool's default byte cap of 1 GiB. */
const VOLUME_BYTES = 1024 * 1024;
const REQUESTS = 1_200;

function freeBytes(dir: string): number {
  const volume = statfsSync(dir);
  return volume.bavail * volume.bsize;
}

/** Writes a file until the volume refuses: nothing is left for anyone. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 120);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** `count` chat requests over eight connections; the ids of those answered 200. */
async function load(url: string, count: number): Promise<string[]> {
  const answered: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const response = await postChat(url, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `full volume ${i}` }],
      });
      await response.text();
      if (response.status === 200) {
        answered.push(response.headers.get('x-request-id')!);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return answered;
}

describe('a spool on a volume smaller than its byte cap, while the portal is down', () => {
  let simulator: SimulatorServer;
  let volume: SmallVolume;
  beforeAll(async () => {
    simulator = await startSimulator();
    volume = mountSmallVolume(VOLUME_BYTES);
  });
  afterAll(async () => {
    volume?.unmount();
    await simulator?.stop();
  });

  it('keeps free space on it, and a gateway killed with the volume full restarts and delivers what it holds', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cellport-full-'));
    const stateFile = join(work, 'state.json');
    writeFileSync(stateFile, JSON.stringify(testState(simulator.url)));
    // Nothing listens on its port until it starts: every event waits in the spool.
    const portal = new EventReceiver();
    portal.port = await freePort();
    const env = {
      GATEWAY_STATE_FILE: stateFile,
      GATEWAY_EVENTS: 'http',
      GATEWAY_EVENTS_URL: `http://127.0.0.1:${portal.port}`,
      GATEWAY_EVENTS_TOKEN: 'portal-token',
      GATEWAY_SPOOL_DIR: join(volume.dir, 'spool'),
      // Small segments: several fit in the free space the spool keeps (5% of the volume).
      GATEWAY_EVENTS_SEGMENT_EVENTS: '20',
      GATEWAY_REDIS_URL: '',
      GATEWAY_NATS_URL: '',
    };
    const gateways: TestProcess[] = [];
    try {
      const first = await startGatewayProcess(env);
      gateways.push(first);
      const answered = await load(first.url, REQUESTS);
      expect(answered).toHaveLength(REQUESTS);

      // More events than the volume holds: the oldest went, counted and logged, and the
      // volume kept room (5% of it) rather than filling to the last byte.
      await eventually(() => first.output().includes('"reason":"volume-full"'));
      const metrics = await (await fetch(`${first.url}/metrics`)).text();
      const dropped = Number(
        /^cellport_gateway_events_dropped_total (\d+)$/m.exec(metrics)?.[1],
      );
      expect(dropped).toBeGreaterThan(0);
      expect(freeBytes(volume.dir)).toBeGreaterThan(0);
      expect(first.output()).not.toContain('ENOSPC');

      // The volume filled to the last byte by someone else: no room is left for a claim. A
      // second gateway on the spool the first still holds is refused for that, by name, and
      // takes nothing of it. The first is stopped meanwhile (alive, holding the spool): running,
      // it could make room between the fill and the claim, dropping its oldest segments.
      first.child.kill('SIGSTOP');
      fillUp(join(volume.dir, 'filler'));
      expect(freeBytes(volume.dir)).toBe(0);
      await expect(startGatewayProcess(env)).rejects.toThrow(
        `is in use by process ${first.child.pid}`,
      );
      // Killed, and whatever room the first made since (it keeps its free space, dropping
      // its own oldest segments) filled too: the next start finds the volume full.
      await first.kill('SIGKILL');
      fillUp(join(volume.dir, 'more-filler'));
      expect(freeBytes(volume.dir)).toBe(0);

      await portal.start();
      const second = await startGatewayProcess(env);
      gateways.push(second);
      // It made room by dropping its oldest segments, said so, and sends the rest.
      await eventually(() =>
        second.output().includes('"reason":"volume-full"'),
      );
      const newest = answered.slice(-100);
      const missing = () => portal.withoutEvents(newest);
      await eventually(() => missing().length === 0, 800).catch(() => {
        throw new Error(
          `${
            missing().length
          } of the 100 newest answered requests have no events`,
        );
      });
      for (const count of portal.deliveriesById.values()) expect(count).toBe(1);
    } finally {
      await Promise.all(gateways.map(gateway => gateway.kill()));
      await portal.stop();
    }
  });
});

describe('a spool whose dropped segments do not free their space at once', () => {
  let volume: SmallVolume;
  beforeAll(() => {
    volume = mountSmallVolume(VOLUME_BYTES);
  });
  afterAll(() => volume?.unmount());

  it('drops no more than its volume lacked when measured', async () => {
    const dir = join(volume.dir, 'spool');
    mkdirSync(dir);
    // Ten sealed segments of two blocks each, every one held open by a reader (as a sender
    // or a backup may): deleting them frees nothing until they are closed.
    const held: number[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `${String(1_700_000_000_000 + i).padStart(
        15,
        '0',
      )}-000001-abc.jsonl`;
      writeFileSync(join(dir, name), `${'x'.repeat(5_000)}\n`);
      held.push(openSync(join(dir, name), 'r'));
    }
    const drops: SpoolDrop[] = [];
    try {
      // Four blocks short of the free space it keeps, and the block its lock takes: two
      // segments' worth, or three.
      const spool = new DiskSpool(dir, {
        minFreeBytes: freeBytes(volume.dir) + 4 * 4096,
        onDrop: drop => drops.push(drop),
      });
      spool.recover();
      await spool.rotate();
      expect(drops.map(drop => drop.reason)).toEqual(['volume-full']);
      expect(drops[0].segments).toBeGreaterThanOrEqual(2);
      expect(drops[0].segments).toBeLessThanOrEqual(3);
      expect(spool.depth().segments).toBe(10 - drops[0].segments);
      await spool.close();
    } finally {
      held.forEach(fd => closeSync(fd));
    }
  });
});
