import { InputError } from '@backstage/errors';
import { Knex } from 'knex';

/**
 * Keyset pagination, newest first on (time, id): a page costs the same however deep it is,
 * and rows added meanwhile never shift later pages. The cursor is the last row's key.
 */
export interface Cursor {
  ts: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.ts}:${cursor.id}`).toString('base64url');
}

/** `idPattern`: the ids the table holds (a decision's; an alert's fingerprint is freer). */
export function decodeCursor(
  value: string,
  idPattern = '[A-Za-z0-9_-]+',
): Cursor {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  // A time of up to 15 digits: any millisecond timestamp this API returns, and no larger.
  const match = new RegExp(`^(\\d{1,15}):(${idPattern})$`).exec(text);
  if (!match) throw new InputError('cursor: is not a cursor this API returned');
  return { ts: Number(match[1]), id: match[2] };
}

/** Narrows a query ordered by `time` desc then `id` desc to the rows after the cursor. */
export function afterCursor(
  query: Knex.QueryBuilder,
  columns: { time: string; id: string },
  cursor: Cursor,
): void {
  query.where(q =>
    q
      .where(columns.time, '<', cursor.ts)
      .orWhere(q2 =>
        q2.where(columns.time, cursor.ts).andWhere(columns.id, '<', cursor.id),
      ),
  );
}

/** The first `limit` of `limit + 1` items read, and a cursor after them when there are more. */
export function pageOf<T>(
  items: T[],
  limit: number,
  keyOf: (item: T) => Cursor,
): { items: T[]; nextCursor?: string } {
  const page = items.slice(0, limit);
  return items.length > limit
    ? { items: page, nextCursor: encodeCursor(keyOf(page[page.length - 1])) }
    : { items: page };
}
