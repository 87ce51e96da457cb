import fs, { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { testConfig } from '../__testUtils__/fixtures';
import { GatewayMetrics } from '../metrics/GatewayMetrics';
import { createEventSink } from './createEventSink';
import { spoolFault } from './openSpool';

/** A leftover open segment's name, as a killed gateway leaves it. */
const LEFTOVER = '.000001700000000-000001-abc.jsonl.open';

/** The start of an event sink spooling in `dir`; a sink that starts is closed at once. */
async function startSpool(dir: string): Promise<void> {
  const base = testConfig();
  const sink = await createEventSink(
    {
      ...base,
      events: {
        ...base.events,
        transport: 'http',
        portalUrl: 'http://127.0.0.1:9',
        spoolDir: dir,
      },
    },
    pino({ level: 'silent' }),
    new GatewayMetrics(),
  );
  await sink.close();
}

/** An error as Node's fs gives it. */
const fsError = (code: string, syscall: string, path: string) =>
  Object.assign(new Error(`${code}: failed, ${syscall} '${path}'`), {
    code,
    syscall,
    path,
  });

describe('a spool directory the gateway cannot use', () => {
  let work: string;
  let dir: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cellport-spool-fault-'));
    dir = join(work, 'spool');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(work, { recursive: true, force: true });
  });

  it('names GATEWAY_SPOOL_DIR where recovering a leftover segment fails, keeping the cause', async () => {
    // Something that cannot be opened where a killed gateway's open segment lies.
    mkdirSync(join(dir, LEFTOVER), { recursive: true });
    const refused = await startSpool(dir).catch(error => error);
    expect(refused.message).toBe(
      `GATEWAY_SPOOL_DIR ${dir} cannot be used (${refused.cause.message})`,
    );
    expect(refused.cause).toMatchObject({ code: 'EISDIR', syscall: 'open' });
  });

  it('names dead/ where it is a file, not the spool directory', async () => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'dead'), '');
    await expect(startSpool(dir)).rejects.toThrow(
      `GATEWAY_SPOOL_DIR ${dir} cannot be used: ${join(
        dir,
        'dead',
      )} is a file, not a directory (EEXIST`,
    );
  });

  it('says a filesystem without hard links is one, not an unwritable directory', async () => {
    jest.spyOn(fs, 'linkSync').mockImplementation(from => {
      throw fsError('EPERM', 'link', String(from));
    });
    await expect(startSpool(dir)).rejects.toThrow(
      `GATEWAY_SPOOL_DIR ${dir} cannot be used: its filesystem takes no hard links, which the spool lock needs (EPERM`,
    );
  });

  it('does not take a file removed meanwhile (ENOENT of unlink) for a parent that takes no directory', async () => {
    jest.spyOn(fs, 'unlinkSync').mockImplementation(path => {
      throw fsError('ENOENT', 'unlink', String(path));
    });
    const refused = await startSpool(dir).catch(error => error);
    expect(refused.message).toMatch(
      new RegExp(`^GATEWAY_SPOOL_DIR ${dir} cannot be used \\(ENOENT`),
    );
    expect(refused.message).not.toContain('/proc');
  });

  it("names a leftover segment the gateway's user may not open (one left by a gateway run as root)", () => {
    // Root opens any file, so the refusal another user gets is made up here.
    const segment = join(dir, LEFTOVER);
    const error = fsError('EACCES', 'open', segment);
    expect(spoolFault(dir, error)).toEqual(
      new Error(
        `GATEWAY_SPOOL_DIR ${dir} is not writable by the gateway's user: it may not open ${segment} (left by a gateway run as another user, such as root?) (${error.message})`,
      ),
    );
  });

  it("keeps an error that is not the filesystem's (a spool another gateway holds) as it is", () => {
    const held = new Error(`the event spool ${dir} is in use by process 7`);
    expect(spoolFault(dir, held)).toBe(held);
  });
});
