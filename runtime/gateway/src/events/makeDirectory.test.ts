import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs, {
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { makeDirectory } from './makeDirectory';

describe('makeDirectory', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'cellport-mkdir-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(work, { recursive: true, force: true });
  });

  const isDirectory = (path: string) => statSync(path).isDirectory();

  it('makes every missing level of a nested path', () => {
    makeDirectory(join(work, 'a', 'b', 'c', 'd'));
    expect(isDirectory(join(work, 'a', 'b', 'c', 'd'))).toBe(true);
  });

  it('makes a path relative to the working directory', () => {
    const dir = join(work, 'x', 'y');
    makeDirectory(relative(process.cwd(), dir));
    expect(isDirectory(dir)).toBe(true);
  });

  it('leaves a directory that exists, and what it holds, as it is', () => {
    writeFileSync(join(work, 'kept'), 'x');
    makeDirectory(work);
    expect(fs.readFileSync(join(work, 'kept'), 'utf8')).toBe('x');
  });

  it('takes a symlink to a directory, and makes the levels missing beyond it', () => {
    mkdirSync(join(work, 'target'));
    symlinkSync(join(work, 'target'), join(work, 'link'));
    makeDirectory(join(work, 'link'));
    makeDirectory(join(work, 'link', 'p', 'q'));
    expect(isDirectory(join(work, 'target', 'p', 'q'))).toBe(true);
  });

  it('refuses a path through a file (ENOTDIR) and a file where the directory should be (EEXIST)', () => {
    writeFileSync(join(work, 'file'), '');
    expect(() => makeDirectory(join(work, 'file', 'spool'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    expect(() => makeDirectory(join(work, 'file'))).toThrow(
      expect.objectContaining({ code: 'EEXIST', path: join(work, 'file') }),
    );
  });

  it('refuses, at once, a directory its existing parent takes none in (/proc)', () => {
    expect(() => makeDirectory('/proc/cellport-mkdir/a')).toThrow(
      expect.objectContaining({ code: 'ENOENT', path: '/proc/cellport-mkdir' }),
    );
  });

  it('makes the directory when another replica made its parent between the ENOENT and the look at the parent', () => {
    const dir = join(work, 'parent', 'spool');
    const real = fs.mkdirSync;
    let raced = false;
    jest.spyOn(fs, 'mkdirSync').mockImplementation((path, options) => {
      if (path === dir && !raced) {
        raced = true;
        // The parent is missing as this mkdir runs; the other replica makes it right after.
        const missing = Object.assign(new Error(`ENOENT, mkdir '${dir}'`), {
          code: 'ENOENT',
          syscall: 'mkdir',
          path: dir,
        });
        real(dirname(dir));
        throw missing;
      }
      return real(path, options);
    });
    makeDirectory(dir);
    expect(isDirectory(dir)).toBe(true);
  });

  it('lets replicas starting together make the same nested directories', async () => {
    const dirs = Array.from({ length: 200 }, (_, i) =>
      join(work, String(i % 10), String(i), 'spool', 'dead'),
    );
    const script = `const { makeDirectory } = require(${JSON.stringify(
      require.resolve('./makeDirectory'),
    )}); for (const dir of ${JSON.stringify(dirs)}) makeDirectory(dir);`;
    const replicas = [0, 1, 2].map(() =>
      spawn(
        process.execPath,
        [
          '--require',
          require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
          '-e',
          script,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      ),
    );
    const codes = await Promise.all(
      replicas.map(async child => (await once(child, 'exit'))[0]),
    );
    expect(codes).toEqual([0, 0, 0]);
    for (const dir of dirs) expect(isDirectory(dir)).toBe(true);
  }, 30_000);
});
