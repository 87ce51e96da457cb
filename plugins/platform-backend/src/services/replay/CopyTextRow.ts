const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;
const MINUS = 45;
const ZERO = 48;
const CAPITAL_N = 78;

/** Values a column repeats (tenants, profiles, state versions) are decoded once per reader. */
const MAX_INTERNED_PER_COLUMN = 64;

const ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * Reads the fields of rows in PostgreSQL's COPY text format: fields separated by tabs, the
 * row ended by a newline, `\N` for NULL, and backslash escapes for tabs, newlines and
 * backslashes inside a value. Numbers are read from the bytes without making a string, and
 * the strings of repeating columns are interned, so a million rows make little garbage.
 * One instance reads one query's rows, with a fixed number of columns.
 */
export class CopyTextRow {
  private row: Buffer = Buffer.alloc(0);
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly interned: Array<Array<{ bytes: Buffer; value: string }>>;

  constructor(private readonly columns: number) {
    this.starts = new Int32Array(columns);
    this.ends = new Int32Array(columns);
    this.interned = Array.from({ length: columns }, () => []);
  }

  /** Takes the next row; a row with another number of fields is an error. */
  read(row: Buffer): void {
    this.row = row;
    const last = this.columns - 1;
    let start = 0;
    for (let column = 0; column < last; column++) {
      const end = row.indexOf(TAB, start);
      if (end < 0) throw this.fieldCountError();
      this.starts[column] = start;
      this.ends[column] = end;
      start = end + 1;
    }
    const end = row[row.length - 1] === NEWLINE ? row.length - 1 : row.length;
    const tab = row.indexOf(TAB, start);
    if (tab >= 0 && tab < end) throw this.fieldCountError();
    this.starts[last] = start;
    this.ends[last] = end;
  }

  private fieldCountError(): Error {
    return new Error(
      `a COPY row has another number of fields than the ${this.columns} expected`,
    );
  }

  isNull(column: number): boolean {
    const start = this.starts[column];
    return (
      this.ends[column] - start === 2 &&
      this.row[start] === BACKSLASH &&
      this.row[start + 1] === CAPITAL_N
    );
  }

  /** A text value, decoded each time (for unique values such as ids). */
  text(column: number): string | null {
    if (this.isNull(column)) return null;
    return this.decode(this.starts[column], this.ends[column]);
  }

  /** A text value of a column whose values repeat. */
  internedText(column: number): string | null {
    if (this.isNull(column)) return null;
    const row = this.row;
    const start = this.starts[column];
    const length = this.ends[column] - start;
    const known = this.interned[column];
    for (const entry of known) {
      const bytes = entry.bytes;
      if (bytes.length !== length) continue;
      let at = 0;
      while (at < length && bytes[at] === row[start + at]) at++;
      if (at === length) return entry.value;
    }
    const value = this.decode(start, start + length);
    if (known.length < MAX_INTERNED_PER_COLUMN) {
      known.push({
        bytes: Buffer.from(row.subarray(start, start + length)),
        value,
      });
    }
    return value;
  }

  /** An integer column (int4, or int8 within 2^53). */
  integer(column: number): number | null {
    if (this.isNull(column)) return null;
    const row = this.row;
    let at = this.starts[column];
    const end = this.ends[column];
    const negative = row[at] === MINUS;
    if (negative) at++;
    let value = 0;
    for (; at < end; at++) value = value * 10 + (row[at] - ZERO);
    return negative ? -value : value;
  }

  /** A float8 column, `Infinity` and `NaN` included. */
  float(column: number): number | null {
    if (this.isNull(column)) return null;
    return Number(
      this.row.toString('latin1', this.starts[column], this.ends[column]),
    );
  }

  private decode(start: number, end: number): string {
    const text = this.row.toString('utf8', start, end);
    return text.includes('\\') ? unescapeCopyText(text) : text;
  }
}

/**
 * Undoes COPY's text escapes. COPY TO writes only the one-letter ones (`\t`, `\n`, `\\`...),
 * never octal or hex bytes (PostgreSQL's COPY documentation).
 */
export function unescapeCopyText(text: string): string {
  return text.replace(/\\(.)/gs, (_, char: string) => ESCAPES[char] ?? char);
}
