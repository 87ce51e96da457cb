import { knex as createKnex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tuneSqlite } from './sqliteTuning';

describe('tuneSqlite', () => {
  it('puts a SQLite file in WAL mode with a larger page cache', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-sqlite-'));
    const db = createKnex({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'platform.sqlite') },
      useNullAsDefault: true,
    });
    try {
      await tuneSqlite(db);
      expect(await db.raw('PRAGMA journal_mode')).toEqual([
        { journal_mode: 'wal' },
      ]);
      expect(await db.raw('PRAGMA cache_size')).toEqual([
        { cache_size: -65536 },
      ]);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
