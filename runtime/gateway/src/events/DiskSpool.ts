import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import {
  open,
  readdir,
  readFile,
  rename,
  statfs,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import { OpenSegment } from './OpenSegment';
import { EventBatch } from './EventBatch';
import { makeDirectory } from './makeDirectory';
import { SpoolLock } from './SpoolLock';

/** What `recover` found: the segments a killed process left open, and the torn bytes cut off. */
export interface RecoveredSpool {
  segments: number;
  tornBytes: number;
}

/** Sealed segments: `<ms>-<seq>-<instance>.jsonl`; older spools used the pid as instance. */
const SEGMENT = /^\d{15}-\d{6}-[0-9a-z]+\.jsonl$/;
/** The segment being appended to, under its future name: `.<name>.open`. */
const OPEN_SEGMENT = /^\.(\d{15}-\d{6}-[0-9a-z]+\.jsonl)\.open$/;

const fsyncFd = promisify(fs.fsync);
const closeFd = promisify(fs.close);
const openFd = promisify(fs.open);

/** Segments the spool lost or threw away, for the log line and the metric. */
export interface SpoolDrop {
  segments: number;
  events: number;
  bytes: number;
  /** Creation times of the oldest and newest dropped segments. */
  oldest: string;
  newest: string;
  /**
   * Why: `byte-cap` (GATEWAY_SPOOL_MAX_BYTES), `volume-full` (its volume's free space),
   * `deleted` (from under the spool: events counted where this process sealed them).
   */
  reason: string;
}

export interface DiskSpoolOptions {
  /**
   * What the segments may take on disk (whole 4 KiB blocks, `dead/` and the open segment
   * included), above which the oldest are dropped.
   */
  maxBytes?: number;
  /**
   * Free bytes the spool's filesystem keeps, whatever the byte cap: below them the oldest
   * segments are dropped too. A disk smaller than the cap, or one others fill, filled to the
   * last byte would keep the next start from claiming the spool. Default: 5% of the
   * filesystem, at most 64 MiB. (An emptyDir's size limit is not the filesystem's: `maxBytes`
   * must stay below it.)
   */
  minFreeBytes?: number;
  onDrop?: (drop: SpoolDrop) => void;
  /** A segment could not be sealed; it stays `.open`, and each rotation tries it again. */
  onSealError?: (error: unknown) => void;
  /** The directory was deleted from under the spool (a clean-up, a tmp reaper), and made again. */
  onDirectoryRemade?: () => void;
  /**
   * A segment deleted from under the spool while open was written again from its descriptor:
   * these events, which requests answered, are not lost.
   */
  onRescued?: (rescued: { events: number; bytes: number }) => void;
}

/**
 * An on-disk queue of event segments, one JSON-lines file each. The request path appends to
 * the open segment (`.<name>.open`) synchronously; the flusher seals it: fsync, then rename to
 * `<name>`, then fsync the directory, so a sealed name always means a durable, whole file.
 * Names sort by creation, so segments are delivered oldest first. Events only ever move by
 * rename, never by copy, so none is doubled across rotation or restart. One process per
 * directory (`SpoolLock`): one that finds another took it over stops at its next write.
 */
export class DiskSpool {
  /** Keeps names unique across processes: in a container every start may get the same pid. */
  private readonly instance = randomBytes(5).toString('hex');
  private seq = 0;
  private open?: OpenSegment;
  /**
   * The next segment, created ahead on the thread pool: creating a file takes the request
   * path 0.3 ms at the median and 1 ms at worst on this machine's disk (more on network
   * storage), and it is needed at every rotation. `spareGeneration` moves on when a segment
   * had to be made on the spot, so a spare opened before it (an older name) is not used.
   */
  private spare?: OpenSegment;
  private spareGeneration = 0;
  private preparingSpare?: Promise<void>;
  private closed = false;
  /**
   * Sealed segments this process knows of, oldest first, with their sizes; `events` where
   * this process sealed them (known without reading them).
   */
  private readonly sealed: Array<{
    name: string;
    bytes: number;
    events?: number;
  }> = [];
  private sealedBytes = 0;
  /**
   * What the segments take on disk, each rounded up to whole blocks: the byte cap counts
   * this, as the kubelet counts an emptyDir against its size limit (a segment of one request,
   * sealed at a quiet moment, holds 1.4 KB and takes 4 KiB).
   */
  private diskBytes = 0;
  /** The volume's free space was under twice what the spool keeps, at the last measure. */
  private volumeLow = false;
  /**
   * Segments closed to writes whose seal failed (fsync, close or rename: a full or failing
   * volume), oldest first: sealed again at each rotation, and counted in the depth and the
   * byte cap meanwhile, rather than left unsent until the next start.
   */
  private readonly unsealed: Array<{ path: string; bytes: number }> = [];
  /**
   * Sealed segments the receiver took whose file could not be deleted yet (a volume gone
   * read-only): never sent again, and never counted dropped.
   */
  private readonly delivered = new Set<string>();
  /** Segments set aside in `dead/`, oldest first: inside the byte cap, and dropped first. */
  private readonly dead: Array<{ name: string; bytes: number }> = [];
  private sealing: Promise<void> = Promise.resolve();
  /** The segment the sender holds; the byte cap leaves it alone. */
  sending?: string;
  private readonly lock: SpoolLock;

  constructor(
    readonly dir: string,
    private readonly options: DiskSpoolOptions = {},
  ) {
    makeDirectory(join(dir, 'dead'));
    this.lock = this.claim();
  }

  /**
   * Claims the directory. A volume left full (by a killed predecessor, before the spool kept
   * free space, or by others on a shared disk) has no room for the claim: when no live
   * process holds the spool, its oldest segments go, reported as dropped, until the claim
   * fits, rather than a start that fails for ever with everything it holds unsent.
   */
  private claim(): SpoolLock {
    for (;;) {
      try {
        return new SpoolLock(this.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // Another live process's spool is not this one's to make room in.
        SpoolLock.refuseIfHeld(this.dir);
        const oldest = this.oldestOnDisk();
        if (!oldest) throw error;
        const path = join(this.dir, oldest.file);
        const bytes = statSync(path).size;
        const events = readFileSync(path, 'utf8').split('\n').length - 1;
        unlinkSync(path);
        this.reportDrop([{ name: oldest.name, bytes, events }], 'volume-full');
      }
    }
  }

  /** The oldest segment file in the directory, `dead/` first, sealed or left open. */
  private oldestOnDisk(): { file: string; name: string } | undefined {
    const dead = readdirSync(join(this.dir, 'dead'))
      .filter(name => SEGMENT.test(name))
      .sort();
    if (dead.length > 0) return { file: join('dead', dead[0]), name: dead[0] };
    const segments = readdirSync(this.dir)
      .map(file => ({
        file,
        name: SEGMENT.test(file) ? file : OPEN_SEGMENT.exec(file)?.[1],
      }))
      .filter((segment): segment is { file: string; name: string } =>
        Boolean(segment.name),
      )
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    return segments[0];
  }

  /**
   * Seals the open segments a killed process left: cut a torn last line (a write the kill
   * interrupted, whose response never left), fsync, rename. Run once at start, before writing.
   */
  recover(): RecoveredSpool {
    let segments = 0;
    let tornBytes = 0;
    for (const file of readdirSync(this.dir)) {
      const match = OPEN_SEGMENT.exec(file);
      if (!match) continue;
      const path = join(this.dir, file);
      const fd = openSync(path, 'r+');
      let empty = false;
      try {
        const size = fstatSync(fd).size;
        const whole = lastLineEnd(fd, size);
        empty = whole === 0;
        if (whole < size) {
          ftruncateSync(fd, whole);
          tornBytes += size - whole;
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (empty) {
        // A spare segment, or one no whole event reached: nothing to keep.
        unlinkSync(path);
        continue;
      }
      renameSync(path, join(this.dir, match[1]));
      segments += 1;
    }
    if (segments > 0) this.syncDirectorySync();
    for (const name of readdirSync(this.dir)
      .filter(n => SEGMENT.test(n))
      .sort()) {
      const bytes = statSync(join(this.dir, name)).size;
      this.sealed.push({ name, bytes });
      this.sealedBytes += bytes;
      this.diskBytes += onDisk(bytes);
    }
    for (const name of readdirSync(join(this.dir, 'dead'))
      .filter(n => SEGMENT.test(n))
      .sort()) {
      const bytes = statSync(join(this.dir, 'dead', name)).size;
      this.dead.push({ name, bytes });
      this.diskBytes += onDisk(bytes);
    }
    // A spool left over the cap (a smaller cap now, a long outage) is cut down at once, not at
    // the first seal, which an idle replica may never make.
    this.sealing = this.sealing
      .then(() => this.enforceCap())
      .catch(error => this.options.onSealError?.(error));
    return { segments, tornBytes };
  }

  /** Hot path: appends one request's serialized events (each line ends with '\n'). */
  write(lines: string, events: number): void {
    // A process that lost the spool to another stops here, before writing (`SpoolLock.lost`).
    this.lock.ensureHeld();
    if (this.open?.orphaned()) {
      // Deleted from under the spool: these events must go to a file, not to a descriptor
      // whose bytes a kill would take with it.
      const orphan = this.open;
      this.open = undefined;
      try {
        this.remakeDirectory();
        this.rescue(orphan);
      } catch (error) {
        // Not written again (a full volume): lost with its descriptor, and counted.
        this.reportDeleted(orphan);
        throw error;
      } finally {
        orphan.closeQuietly();
      }
    }
    if (!this.open) {
      if (this.spare) {
        this.open = this.spare;
        this.spare = undefined;
      } else {
        this.spareGeneration += 1;
        this.open = this.newSegment();
      }
      this.prepareSpare();
    }
    try {
      this.open.append(lines, events);
    } catch (error) {
      // Whatever the segment holds is whole; seal it and start afresh on the next write.
      this.rotate();
      throw error;
    }
  }

  /** A segment made on the spot, in a directory made again if it was deleted. */
  private newSegment(): OpenSegment {
    try {
      return new OpenSegment(this.nextSegmentPath());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.remakeDirectory();
      return new OpenSegment(this.nextSegmentPath());
    }
  }

  /**
   * After a segment or the directory was deleted from under the spool: makes the directory
   * again if it is gone, with `dead/` and the lock (another gateway must not claim it
   * meanwhile). What went with the directory is forgotten: its sealed segments reported as
   * dropped (`deleted`), those set aside in `dead/`, and the spare segment opened in it.
   */
  private remakeDirectory(): void {
    const gone = !existsSync(this.dir);
    makeDirectory(join(this.dir, 'dead'));
    this.lock.restore();
    if (!gone) return;
    for (const { name } of [...this.sealed]) this.lose(name);
    for (const { path, bytes } of this.unsealed.splice(0)) {
      this.diskBytes -= onDisk(bytes);
      const name = sealedName(this.dir, path);
      this.reportDrop([{ name, bytes, events: 0 }], 'deleted');
    }
    for (const { bytes } of this.dead.splice(0)) {
      this.diskBytes -= onDisk(bytes);
    }
    this.spareGeneration += 1;
    this.spare?.closeQuietly();
    this.spare = undefined;
    this.options.onDirectoryRemade?.();
  }

  /** The path of a new open segment, named to sort after every segment before it. */
  private nextSegmentPath(): string {
    this.seq = (this.seq + 1) % 1_000_000;
    const name = `${String(Date.now()).padStart(15, '0')}-${String(
      this.seq,
    ).padStart(6, '0')}-${this.instance}.jsonl`;
    return join(this.dir, `.${name}.open`);
  }

  private prepareSpare(): void {
    if (this.spare || this.preparingSpare || this.closed) return;
    const generation = this.spareGeneration;
    const path = this.nextSegmentPath();
    let overtaken = false;
    this.preparingSpare = openFd(path, 'wx+')
      .then(
        async fd => {
          const segment = new OpenSegment(path, fd);
          if (generation === this.spareGeneration && !this.closed) {
            this.spare = segment;
            return;
          }
          overtaken = true;
          await discard(segment);
        },
        // Not retried at once (a full disk would spin): the next rotation makes its
        // segment on the spot, and tries again for the one after.
        () => undefined,
      )
      .finally(() => {
        this.preparingSpare = undefined;
        // A segment made on the spot overtook it: the next spare is named after that one.
        if (overtaken) this.prepareSpare();
      });
  }

  /** Removes the spare segment: on a graceful stop, nothing is left open. */
  async close(): Promise<void> {
    this.closed = true;
    await this.preparingSpare;
    const spare = this.spare;
    this.spare = undefined;
    if (spare) await discard(spare);
    this.lock.release();
  }

  /** Events in the open segment. */
  get openEvents(): number {
    return this.open?.events ?? 0;
  }

  /**
   * Whether the spool is on its way to dropping segments: it takes more than half its byte cap
   * on disk (a long receiver outage), or its volume had less than twice the free space it
   * keeps when last measured (a volume smaller than the cap, or one others fill).
   */
  underPressure(): boolean {
    return this.volumeLow || this.fillRatio() > 0.5;
  }

  /**
   * What the byte cap counts, as a share of it (0 without a cap): past 1 the oldest segments
   * are dropped. Not `depth().bytes`, which counts the events' bytes: segments take whole
   * blocks and `dead/` counts too, so a spool dropping events may hold half its cap in bytes.
   */
  fillRatio(): number {
    const maxBytes = this.options.maxBytes;
    return maxBytes === undefined ? 0 : this.cappedBytes() / maxBytes;
  }

  /** What the byte cap counts: every segment's whole blocks, `dead/` and the open one included. */
  private cappedBytes(): number {
    return this.diskBytes + onDisk(this.open?.bytes ?? 0);
  }

  /** Segments and bytes on disk, the open one and those not sealed yet included. */
  depth(): { segments: number; bytes: number } {
    let bytes = this.sealedBytes + (this.open?.bytes ?? 0);
    for (const segment of this.unsealed) bytes += segment.bytes;
    return {
      segments: this.sealed.length + this.unsealed.length + (this.open ? 1 : 0),
      bytes,
    };
  }

  /**
   * Closes the open segment to writes now and seals it in the background. Resolves (never
   * rejects) when every segment rotated so far is sealed or reported to `onSealError`.
   */
  rotate(): Promise<void> {
    const segment = this.open;
    this.open = undefined;
    if (segment) {
      this.sealing = this.sealing.then(() =>
        this.resealFailed()
          // Still failing: reported, and this segment sealed all the same.
          .catch(error => this.options.onSealError?.(error))
          .then(() => this.seal(segment))
          .then(() => this.enforceCap())
          .catch(error => this.options.onSealError?.(error)),
      );
    }
    return this.sealing;
  }

  /** Seals again, oldest first, the segments whose seal failed; stops at the first failure. */
  private async resealFailed(): Promise<void> {
    while (this.unsealed.length > 0) {
      const { path, bytes } = this.unsealed[0];
      let fd: number;
      try {
        fd = await openFd(path, 'r+');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // Deleted by someone else: nothing left to seal or count.
        this.unsealed.shift();
        this.diskBytes -= onDisk(bytes);
        continue;
      }
      try {
        await fsyncFd(fd);
      } finally {
        await closeFd(fd);
      }
      await this.sealAs(path, bytes);
      this.unsealed.shift();
      await this.syncDirectory();
    }
  }

  private async seal(segment: OpenSegment): Promise<void> {
    const fd = segment.detach();
    if (segment.bytes === 0) {
      segment.closeQuietly();
      await unlink(segment.path).catch(ignoreMissing);
      return;
    }
    let sealed = false;
    try {
      await fsyncFd(fd);
      try {
        // Renamed while its descriptor is open: deleted from under the spool, the segment
        // is still whole behind it.
        await this.sealAs(segment.path, segment.bytes, segment.events);
      } catch (error) {
        if (!segment.orphaned()) throw error;
        this.remakeDirectory();
        this.rescue(segment);
      }
      sealed = true;
    } catch (error) {
      if (sealed) throw error;
      if (existsSync(segment.path)) {
        // Left as `.open`: the next rotation (or start) seals it; nothing is lost.
        this.unsealed.push({ path: segment.path, bytes: segment.bytes });
        this.diskBytes += onDisk(segment.bytes);
      } else {
        // Deleted, and not written again (a full volume): lost with its descriptor.
        this.reportDeleted(segment);
      }
      throw error;
    } finally {
      // Once, whatever happened: its number may be reused at once.
      segment.closeQuietly();
    }
    await this.syncDirectory();
  }

  private reportDeleted(segment: OpenSegment): void {
    const name = sealedName(this.dir, segment.path);
    this.reportDrop(
      [{ name, bytes: segment.bytes, events: segment.events }],
      'deleted',
    );
  }

  /**
   * Writes again, under its sealed name, a segment whose file was deleted while it was open
   * (the directory with it): its bytes are read back from its descriptor.
   */
  private rescue(segment: OpenSegment): void {
    const name = sealedName(this.dir, segment.path);
    const bytes = segment.copyTo(join(this.dir, name));
    this.sealed.push({ name, bytes, events: segment.events });
    this.sealedBytes += bytes;
    this.diskBytes += onDisk(bytes);
    this.options.onRescued?.({ events: segment.events, bytes });
  }

  /** Gives a durable `.open` segment its sealed name, and hands it to the sender. */
  private async sealAs(
    path: string,
    bytes: number,
    events?: number,
  ): Promise<void> {
    const name = sealedName(this.dir, path);
    await rename(path, join(this.dir, name));
    this.sealed.push({ name, bytes, events });
    this.sealedBytes += bytes;
    // One whose seal failed before is counted on disk since.
    if (!this.unsealed.some(segment => segment.path === path)) {
      this.diskBytes += onDisk(bytes);
    }
  }

  /**
   * The oldest sealed segment this process knows of, `passedOver` ones last: the sender's
   * next. From memory, so the sender does not list the directory for every segment it sends
   * (one process per directory).
   */
  oldestSealed(passedOver?: (name: string) => boolean): string | undefined {
    const first = passedOver
      ? this.sealed.find(segment => !passedOver(segment.name))
      : undefined;
    return (first ?? this.sealed[0])?.name;
  }

  /** Whether this process still counts `name` among its sealed segments. */
  holdsSealed(name: string): boolean {
    return this.sealed.some(segment => segment.name === name);
  }

  /** Sealed segment names on disk, oldest first (what another process would find). */
  async segments(): Promise<string[]> {
    return (await readdir(this.dir)).filter(name => SEGMENT.test(name)).sort();
  }

  /**
   * The serialized events of a segment, one JSON document each. They are sent as they are, so
   * an event is serialized once in its life, not parsed and serialized again per delivery.
   */
  /** A sealed segment's whole events; anything after its last newline is not one. */
  async read(name: string): Promise<EventBatch> {
    return EventBatch.fromSegment(await readFile(join(this.dir, name)));
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch(error => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    this.forget(name);
  }

  /** Sets aside a segment the receiver refuses for good, so it does not block the queue. */
  async quarantine(name: string): Promise<void> {
    const bytes = this.sealed.find(segment => segment.name === name)?.bytes;
    const path = join(this.dir, name);
    try {
      await rename(path, join(this.dir, 'dead', name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (existsSync(path)) {
        // `dead/` itself is gone (a tmp reaper takes empty directories too).
        makeDirectory(join(this.dir, 'dead'));
        await rename(path, join(this.dir, 'dead', name));
      } else {
        // Already gone (deleted by something else): nothing to set aside, or to count in dead/.
        this.forget(name);
        return;
      }
    }
    this.forget(name);
    if (bytes !== undefined) {
      this.dead.push({ name, bytes });
      this.diskBytes += onDisk(bytes);
    }
  }

  /**
   * A sealed segment deleted from under the spool (a clean-up, a tmp reaper): forgotten, and
   * reported as dropped (`deleted`) with its events where this process sealed it.
   */
  lose(name: string): void {
    const segment = this.sealed.find(sealed => sealed.name === name);
    const delivered = this.delivered.has(name);
    this.forget(name);
    if (!segment || delivered) return;
    this.reportDrop(
      [{ name, bytes: segment.bytes, events: segment.events ?? 0 }],
      'deleted',
    );
  }

  /** The receiver took the segment: from now on it is only deleted (`remove`). */
  markDelivered(name: string): void {
    this.delivered.add(name);
  }

  isDelivered(name: string): boolean {
    return this.delivered.has(name);
  }

  private forget(name: string): void {
    this.delivered.delete(name);
    const index = this.sealed.findIndex(segment => segment.name === name);
    if (index >= 0) {
      this.sealedBytes -= this.sealed[index].bytes;
      this.diskBytes -= onDisk(this.sealed[index].bytes);
      this.sealed.splice(index, 1);
    }
  }

  /**
   * Drops the oldest segments while the spool is over its byte cap, then while its volume has
   * less free space than it keeps: at most what it lacked when measured, and less when a new
   * measure after a drop shows others freed space too (spools sharing a disk). A filesystem
   * that shows freed space late, or a shortfall deleting cannot cure, costs no more.
   */
  private async enforceCap(): Promise<void> {
    const maxBytes = this.options.maxBytes ?? Infinity;
    await this.dropOldest(() => this.cappedBytes() - maxBytes, 'byte-cap');
    let lacking = await this.lackingFreeBytes();
    await this.dropOldest(
      async () => Math.min(lacking, await this.lackingFreeBytes()),
      'volume-full',
      bytes => {
        lacking -= onDisk(bytes);
      },
    );
  }

  /** Bytes the volume lacks of the free space it keeps (`minFreeBytes`); 0 or less is none. */
  private async lackingFreeBytes(): Promise<number> {
    let volume;
    try {
      volume = await statfs(this.dir);
    } catch {
      return 0; // No statfs here: only the byte cap applies.
    }
    const minFree =
      this.options.minFreeBytes ??
      Math.min(64 * 1024 * 1024, (volume.blocks * volume.bsize) / 20);
    const free = volume.bavail * volume.bsize;
    this.volumeLow = free < 2 * minFree;
    return minFree - free;
  }

  /**
   * Drops segments while `excess()` is above 0: those set aside in `dead/` first (never to be
   * delivered), then the oldest sealed ones, never the one the sender holds.
   */
  private async dropOldest(
    excess: () => number | Promise<number>,
    reason: string,
    freed: (bytes: number) => void = () => undefined,
  ): Promise<void> {
    const dropped: Array<{ name: string; bytes: number; events: number }> = [];
    while (this.dead.length > 0 && (await excess()) > 0) {
      const victim = this.dead.shift()!;
      this.diskBytes -= onDisk(victim.bytes);
      const path = join(this.dir, 'dead', victim.name);
      dropped.push({ ...victim, events: await countLines(path) });
      await unlink(path).catch(() => undefined);
      freed(victim.bytes);
    }
    while ((await excess()) > 0) {
      const victim = this.sealed.find(segment => segment.name !== this.sending);
      if (!victim) break;
      if (this.delivered.has(victim.name)) {
        // Delivered: deleting it loses nothing (and fails as its sender's retries do).
        await this.remove(victim.name);
        freed(victim.bytes);
        continue;
      }
      const events = await countLines(join(this.dir, victim.name));
      // The sender may have taken it while its lines were counted.
      if (victim.name === this.sending) continue;
      await this.remove(victim.name);
      dropped.push({ ...victim, events });
      freed(victim.bytes);
    }
    this.reportDrop(dropped, reason);
  }

  private reportDrop(
    dropped: Array<{ name: string; bytes: number; events: number }>,
    reason: string,
  ): void {
    if (dropped.length === 0) return;
    const created = (name: string) =>
      new Date(Number(name.slice(0, 15))).toISOString();
    this.options.onDrop?.({
      segments: dropped.length,
      events: dropped.reduce((sum, segment) => sum + segment.events, 0),
      bytes: dropped.reduce((sum, segment) => sum + segment.bytes, 0),
      oldest: created(dropped[0].name),
      newest: created(dropped[dropped.length - 1].name),
      reason,
    });
  }

  /** Makes a rename durable: the directory entry must reach the disk too. */
  private async syncDirectory(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private syncDirectorySync(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** The name an open segment's file at `path` takes once sealed. */
function sealedName(dir: string, path: string): string {
  return OPEN_SEGMENT.exec(path.slice(dir.length + 1))![1];
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

/** A file's bytes as its filesystem allocates them: whole 4 KiB blocks (ext4, xfs, tmpfs). */
function onDisk(bytes: number): number {
  return Math.ceil(bytes / 4096) * 4096;
}

/** The offset just past the file's last '\n' (0 when it has none). */
function lastLineEnd(fd: number, size: number): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** Closes and deletes a segment that holds no event. */
/** Events in a segment file: one a line. */
function countLines(path: string): Promise<number> {
  return readFile(path, 'utf8').then(
    text => text.split('\n').length - 1,
    () => 0,
  );
}

async function discard(segment: OpenSegment): Promise<void> {
  segment.closeQuietly();
  await unlink(segment.path).catch(() => undefined);
}
