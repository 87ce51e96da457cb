import {
  mkdir,
  readdir,
  readFile,
  rename,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT = /^\d{15}-\d{6}-\d+\.jsonl$/;

/**
 * An on-disk queue of event segments, one JSON-lines file per batch. Files are written under a
 * temporary name and renamed, so a crash never leaves half a segment; names sort by creation,
 * so segments are delivered oldest first. It survives portal outages and gateway restarts.
 */
export class DiskSpool {
  private seq = 0;
  private ready?: Promise<void>;

  constructor(readonly dir: string) {}

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(join(this.dir, 'dead'), { recursive: true }).then(
      () => undefined,
    );
    return this.ready;
  }

  /** Writes one segment of serialized events (one JSON document each). */
  async append(events: string[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    await this.ensureDir();
    this.seq = (this.seq + 1) % 1_000_000;
    const name = `${String(Date.now()).padStart(15, '0')}-${String(
      this.seq,
    ).padStart(6, '0')}-${process.pid}.jsonl`;
    const temporary = join(this.dir, `.${name}.tmp`);
    await writeFile(temporary, `${events.join('\n')}\n`);
    await rename(temporary, join(this.dir, name));
  }

  /** Segment names, oldest first. */
  async segments(): Promise<string[]> {
    await this.ensureDir();
    return (await readdir(this.dir)).filter(name => SEGMENT.test(name)).sort();
  }

  /**
   * The serialized events of a segment, one JSON document each. They are sent as they are, so
   * an event is serialized once in its life, not parsed and serialized again per delivery.
   */
  async read(name: string): Promise<string[]> {
    const text = await readFile(join(this.dir, name), 'utf8');
    return text.split('\n').filter(line => line.length > 0);
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch(error => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }

  /** Sets aside a segment the receiver refuses for good, so it does not block the queue. */
  async quarantine(name: string): Promise<void> {
    await rename(join(this.dir, name), join(this.dir, 'dead', name));
  }
}
