import { once } from 'node:events';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool, SpoolDrop } from './DiskSpool';
import { startProcess } from '../__testUtils__/processes';

// Child processes load TypeScript through Backstage's loader: a few seconds each.
jest.setTimeout(30_000);

const line = (id: string) => `{"id":"${id}","padding":"${'x'.repeat(80)}"}\n`;

/** Waits for the spool's background work (a file opened on the thread pool), boundedly. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  expect(check()).toBe(true);
}

async function readAll(spool: DiskSpool): Promise<string[]> {
  const ids: string[] = [];
  for (const name of await spool.segments()) {
    for (const json of (await spool.read(name)).events()) {
      ids.push(JSON.parse(json).id);
    }
  }
  return ids;
}

/**
 * A gateway's spool in a process of its own, one event written. On SIGUSR2 its clocks jump a
 * minute (as after a stall: SIGSTOP, a frozen VM) and it writes another.
 */
function startHolder(dir: string) {
  return startProcess(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      '-e',
      `let ahead = 0;
      const monotonic = performance.now.bind(performance);
      performance.now = () => monotonic() + ahead;
      const wall = Date.now;
      Date.now = () => wall() + ahead;
      const { DiskSpool } = require(${JSON.stringify(
        join(__dirname, 'DiskSpool.ts'),
      )});
      const spool = new DiskSpool(${JSON.stringify(dir)});
      spool.recover();
      spool.write(${JSON.stringify(line('before'))}, 1);
      process.on('SIGUSR2', () => {
        ahead += 60_000;
        spool.write(${JSON.stringify(line('after'))}, 1);
        console.log('wrote after');
      });
      console.log('ready');
      setInterval(() => {}, 60_000);`,
    ],
    { ready: /ready/ },
  );
}

/** What another host's gateway does to a spool it takes over: a lock of its own. */
function takeOver(dir: string): void {
  unlinkSync(join(dir, 'owner.lock'));
  writeFileSync(
    join(dir, 'owner.lock'),
    JSON.stringify({ host: 'gateway-7f9c-other-node', pid: 4242 }),
  );
}

/** The events in the spool's open segments. */
const openEvents = (dir: string) =>
  readdirSync(dir)
    .filter(name => name.endsWith('.open'))
    .map(name => readFileSync(join(dir, name), 'utf8'))
    .join('');

describe('DiskSpool', () => {
  it('stops the process, writing nothing more, when it finds after a stall that another took its spool over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const holder = await startHolder(dir);
    try {
      takeOver(dir);
      const exited = once(holder.child, 'exit');
      holder.child.kill('SIGUSR2');
      expect((await exited)[0]).toBe(1);
      expect(holder.output()).not.toContain('wrote after');
      expect(holder.output()).toContain(
        `"msg":"the event spool ${dir} was taken over by process 4242 on gateway-7f9c-other-node while this gateway held it`,
      );
      expect(openEvents(dir)).toBe(line('before'));
    } finally {
      await holder.kill();
    }
  });

  it('stops an idle process at its next touch of the lock when another took its spool over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const holder = await startHolder(dir);
    try {
      const exited = once(holder.child, 'exit');
      takeOver(dir);
      // Touched every 5 s.
      expect((await exited)[0]).toBe(1);
      expect(holder.output()).toContain('was taken over by process 4242');
    } finally {
      await holder.kill();
    }
  });

  it('writes every event once across rotations, sealed segments in order, none left open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    spool.recover();
    const written: string[] = [];
    for (let i = 0; i < 100; i++) {
      const id = `event-${String(i).padStart(3, '0')}`;
      spool.write(line(id), 1);
      written.push(id);
      // Rotations land between writes, sealing in the background while writes go on.
      if (i % 7 === 0) spool.rotate();
    }
    await spool.rotate();
    expect(await readAll(spool)).toEqual(written);
    await spool.close();
    expect(readdirSync(dir).filter(name => name.endsWith('.open'))).toEqual([]);
    expect(spool.depth().bytes).toBe(written.length * line('event-000').length);
  });

  it('seals again at the next rotation a segment whose seal failed, counting it meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const sealErrors: unknown[] = [];
    const spool = new DiskSpool(dir, {
      onSealError: error => sealErrors.push(error),
    });
    spool.recover();
    spool.write(line('first'), 1);
    // A directory where the segment's sealed name goes: its rename fails, as on a failing
    // volume, and the segment stays `.open`.
    const open = readdirSync(dir).find(name => name.endsWith('.open'))!;
    const sealedName = open.slice(1, -'.open'.length);
    mkdirSync(join(dir, sealedName));
    await spool.rotate();
    expect(sealErrors).toHaveLength(1);
    expect(spool.oldestSealed()).toBeUndefined();
    expect(spool.depth()).toEqual({
      segments: 1,
      bytes: line('first').length,
    });

    rmdirSync(join(dir, sealedName));
    spool.write(line('second'), 1);
    await spool.rotate();
    expect(sealErrors).toHaveLength(1);
    expect(await readAll(spool)).toEqual(['first', 'second']);
    expect(spool.depth().segments).toBe(2);
    await spool.close();
    expect(readdirSync(dir).filter(name => name.endsWith('.open'))).toEqual([]);
  });

  it('after a kill, seals the segment left open and cuts its torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const killed = new DiskSpool(dir);
    killed.recover();
    killed.write(line('sealed-1'), 1);
    await killed.rotate();
    killed.write(line('open-1') + line('open-2'), 2);
    // The process dies inside its next write: half a line reaches the file.
    // The segment being written, not the empty one made ahead for the next rotation.
    const [open] = readdirSync(dir).filter(
      name => name.endsWith('.open') && statSync(join(dir, name)).size > 0,
    );
    appendFileSync(join(dir, open), line('torn').slice(0, 30));

    const next = new DiskSpool(dir);
    expect(next.recover()).toEqual({ segments: 1, tornBytes: 30 });
    expect(await readAll(next)).toEqual(['sealed-1', 'open-1', 'open-2']);
    // The segment is whole again: it ends with the last whole line.
    const names = await next.segments();
    expect(
      readFileSync(join(dir, names[names.length - 1]), 'utf8').endsWith('}\n'),
    ).toBe(true);
    // The new process appends to its own segment, after the recovered ones.
    next.write(line('after-restart'), 1);
    await next.rotate();
    expect(await readAll(next)).toEqual([
      'sealed-1',
      'open-1',
      'open-2',
      'after-restart',
    ]);
    // Recovering again changes nothing: nothing is doubled by a second restart.
    expect(new DiskSpool(dir).recover()).toEqual({
      segments: 0,
      tornBytes: 0,
    });
  });

  it('creates the next segment ahead, so a write after a rotation makes no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    spool.recover();
    const openFiles = () =>
      readdirSync(dir)
        .filter(name => name.endsWith('.open'))
        .sort();
    spool.write(line('first'), 1);
    await spool.rotate();
    await eventually(() => openFiles().length === 1);
    const [ahead] = openFiles();
    expect(statSync(join(dir, ahead)).size).toBe(0);
    spool.write(line('second'), 1);
    // Written into the file made ahead; the next is on its way.
    expect(readFileSync(join(dir, ahead), 'utf8')).toBe(line('second'));

    // A rotation that finds none ready makes one on the spot; a spare opened before it would
    // sort first, so it is never used.
    await spool.rotate();
    spool.write(line('third'), 1);
    spool.rotate();
    spool.write(line('fourth'), 1);
    await spool.rotate();
    spool.write(line('fifth'), 1);
    await spool.rotate();
    // The stale spare is gone, and one named after the newest segment is ready.
    const newest = (await spool.segments()).at(-1)!;
    await eventually(() => {
      const open = openFiles();
      return open.length === 1 && open[0].slice(1) > newest;
    });
    expect(await readAll(spool)).toEqual([
      'first',
      'second',
      'third',
      'fourth',
      'fifth',
    ]);
    await spool.close();
    expect(openFiles()).toEqual([]);
  });

  it('after a kill, deletes the empty segment made ahead instead of sealing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    writeFileSync(join(dir, '.000001733300000-000002-abc.jsonl.open'), '');
    writeFileSync(
      join(dir, '.000001733300000-000001-abc.jsonl.open'),
      line('kept'),
    );
    const next = new DiskSpool(dir);
    expect(next.recover()).toEqual({ segments: 1, tornBytes: 0 });
    expect(await next.segments()).toEqual(['000001733300000-000001-abc.jsonl']);
    expect(await readAll(next)).toEqual(['kept']);
  });

  it('drops the oldest segments over its byte cap and says what it dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const drops: SpoolDrop[] = [];
    const size = line('event-000').length;
    // The cap counts what segments take on disk: whole 4 KiB blocks, one each here.
    const spool = new DiskSpool(dir, {
      maxBytes: 5 * 4096,
      onDrop: drop => drops.push(drop),
    });
    spool.recover();
    for (let i = 0; i < 16; i++) {
      spool.write(line(`event-${String(i).padStart(3, '0')}`), 1);
      if (i % 2 === 1) await spool.rotate();
    }
    // Eight segments of two events, sixteen events: the three oldest segments went.
    expect(await readAll(spool)).toEqual(
      Array.from(
        { length: 10 },
        (_, i) => `event-${String(i + 6).padStart(3, '0')}`,
      ),
    );
    const total = drops.reduce(
      (sum, drop) => ({
        segments: sum.segments + drop.segments,
        events: sum.events + drop.events,
        bytes: sum.bytes + drop.bytes,
      }),
      { segments: 0, events: 0, bytes: 0 },
    );
    expect(total).toEqual({ segments: 3, events: 6, bytes: 6 * size });
    expect(Date.parse(drops[0].oldest)).toBeLessThanOrEqual(
      Date.parse(drops[drops.length - 1].newest),
    );
    expect(spool.depth()).toEqual({ segments: 5, bytes: 10 * size });
    // At its cap, dropping: the fill ratio reads it full, where the events' bytes read 5%.
    expect(spool.fillRatio()).toBe(1);
    expect(spool.depth().bytes / (5 * 4096)).toBeLessThan(0.1);
  });

  it('keeps segments set aside in dead/ inside the byte cap, dropping them first, and cuts a spool over its cap at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const first = new DiskSpool(dir);
    first.recover();
    for (let i = 0; i < 12; i++) {
      first.write(line(`event-${String(i).padStart(3, '0')}`), 1);
      if (i % 2 === 1) await first.rotate();
    }
    // The portal refused two batches for good.
    const [refused, alsoRefused] = await first.segments();
    await first.quarantine(refused);
    await first.quarantine(alsoRefused);
    await first.close();

    // Restarted with a cap of four segments' blocks (eight events): the two dead segments go,
    // then the oldest sealed.
    const drops: SpoolDrop[] = [];
    const next = new DiskSpool(dir, {
      maxBytes: 4 * 4096,
      onDrop: drop => drops.push(drop),
    });
    next.recover();
    await next.rotate();
    expect(readdirSync(join(dir, 'dead'))).toEqual([]);
    expect(await readAll(next)).toEqual(
      Array.from(
        { length: 8 },
        (_, i) => `event-${String(i + 4).padStart(3, '0')}`,
      ),
    );
    expect(drops.reduce((sum, drop) => sum + drop.events, 0)).toBe(4);
    expect(next.fillRatio()).toBe(1);
  });

  it("fills by what its byte cap counts: whole blocks, the open segment's and dead/ included", async () => {
    const spool = new DiskSpool(
      mkdtempSync(join(tmpdir(), 'cellport-spool-')),
      {
        maxBytes: 10 * 4096,
      },
    );
    spool.recover();
    expect(spool.fillRatio()).toBe(0);
    for (let i = 0; i < 3; i++) {
      spool.write(line(`event-${i}`), 1);
      await spool.rotate();
    }
    await spool.quarantine((await spool.segments())[0]);
    spool.write(line('open'), 1);
    // Two sealed, one set aside, one open: a block each.
    expect(spool.fillRatio()).toBeCloseTo(0.4);
    expect(
      new DiskSpool(mkdtempSync(join(tmpdir(), 'cellport-spool-'))).fillRatio(),
    ).toBe(0);
  });

  it('drops the oldest segments, not the one being sent, while its volume has less free space than it keeps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const sent = '000001700000000-000001-abc.jsonl';
    writeFileSync(join(dir, sent), line('being-sent'));
    writeFileSync(join(dir, '000001700000001-000001-abc.jsonl'), line('old'));
    const drops: SpoolDrop[] = [];
    // More free space than any volume has: every segment it may drop is over the line.
    const spool = new DiskSpool(dir, {
      minFreeBytes: Number.MAX_SAFE_INTEGER,
      onDrop: drop => drops.push(drop),
    });
    spool.sending = sent;
    spool.recover();
    spool.write(line('new'), 1);
    await spool.rotate();
    expect(await readAll(spool)).toEqual(['being-sent']);
    expect(drops.map(drop => [drop.events, drop.reason])).toEqual([
      [1, 'volume-full'],
      [1, 'volume-full'],
    ]);
  });

  it('is under pressure before it drops anything: over half its byte cap, or its volume under twice the free space it keeps', async () => {
    const halfFull = new DiskSpool(
      mkdtempSync(join(tmpdir(), 'cellport-spool-')),
      { maxBytes: 64 * 1024 },
    );
    halfFull.recover();
    expect(halfFull.underPressure()).toBe(false);
    // Each sealed segment takes a 4 KiB block: nine are over half of 64 KiB.
    for (let i = 0; i < 9; i++) {
      halfFull.write(line(`event-${i}`), 1);
      await halfFull.rotate();
    }
    expect(halfFull.underPressure()).toBe(true);
    expect(await readAll(halfFull)).toHaveLength(9);

    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const volume = statfsSync(dir);
    const free = volume.bavail * volume.bsize;
    // Keeps 60% of what is free: short of twice that, yet nothing to drop.
    const drops: SpoolDrop[] = [];
    const lowVolume = new DiskSpool(dir, {
      minFreeBytes: Math.floor(free * 0.6),
      onDrop: drop => drops.push(drop),
    });
    lowVolume.recover();
    expect(lowVolume.underPressure()).toBe(false);
    lowVolume.write(line('sealed'), 1);
    await lowVolume.rotate();
    expect(lowVolume.underPressure()).toBe(true);
    expect(drops).toEqual([]);
  });

  it('leaves the segment the sender takes while the byte cap counts its events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const drops: SpoolDrop[] = [];
    // Room for one segment's block: the second sealed puts the spool over its cap.
    const spool = new DiskSpool(dir, {
      maxBytes: 4096,
      onDrop: drop => drops.push(drop),
    });
    spool.recover();
    spool.write(line('taken'), 1);
    await spool.rotate();
    const [taken] = await spool.segments();
    // The sender takes the oldest segment just after the byte cap chose it to drop.
    let sending: string | undefined;
    Object.defineProperty(spool, 'sending', {
      get: () => {
        const now = sending;
        sending = taken;
        return now;
      },
      set: () => undefined,
    });
    spool.write(line('newer'), 1);
    await spool.rotate();
    expect(await readAll(spool)).toEqual(['taken']);
    expect(drops.map(drop => [drop.events, drop.reason])).toEqual([
      [1, 'byte-cap'],
    ]);
  });

  it('sets aside a refused segment even after dead/ was deleted, and forgets one already gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const spool = new DiskSpool(dir);
    spool.recover();
    for (const id of ['refused', 'deleted']) {
      spool.write(line(id), 1);
      await spool.rotate();
    }
    const [refused, deleted] = await spool.segments();
    // A tmp reaper takes the empty dead/, and something deletes a segment.
    rmdirSync(join(dir, 'dead'));
    unlinkSync(join(dir, deleted));
    await spool.quarantine(refused);
    await spool.quarantine(deleted);
    expect(readdirSync(join(dir, 'dead'))).toEqual([refused]);
    expect(spool.oldestSealed()).toBeUndefined();
  });

  it('reads no partial event from a segment that does not end with a newline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellport-spool-'));
    const name = '000001700000000-000001-abc.jsonl';
    writeFileSync(join(dir, name), line('whole') + line('cut').slice(0, 20));
    const spool = new DiskSpool(dir);
    expect((await spool.read(name)).events()).toEqual([
      line('whole').trimEnd(),
    ]);
  });
});
