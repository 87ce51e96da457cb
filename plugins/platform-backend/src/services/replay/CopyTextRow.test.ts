import { CopyTextRow, unescapeCopyText } from './CopyTextRow';

const row = (text: string) => Buffer.from(`${text}\n`, 'utf8');

describe('CopyTextRow', () => {
  it('reads text, NULL, integers and floats from their bytes', () => {
    const reader = new CopyTextRow(6);
    reader.read(row('d-1\t\\N\t-42\t1793404958074\t-1.5e-7\tInfinity'));
    expect(reader.text(0)).toBe('d-1');
    expect(reader.text(1)).toBeNull();
    expect(reader.integer(1)).toBeNull();
    expect(reader.integer(2)).toBe(-42);
    expect(reader.integer(3)).toBe(1793404958074);
    expect(reader.float(4)).toBe(-1.5e-7);
    expect(reader.float(5)).toBe(Infinity);
  });

  it('undoes escapes, so a value can hold tabs, newlines, backslashes and \\N', () => {
    const reader = new CopyTextRow(2);
    reader.read(row('a\\tb\\nc\\\\d\\\\N 🚀\t\\\\N'));
    expect(reader.text(0)).toBe('a\tb\nc\\d\\N 🚀');
    expect(reader.text(1)).toBe('\\N');
    expect(reader.isNull(1)).toBe(false);
    expect(unescapeCopyText('\\r\\b\\f\\v')).toBe('\r\b\f\v');
  });

  it('interns repeated values per column, the same string each time', () => {
    const reader = new CopyTextRow(2);
    reader.read(row('tenant-a\tü'));
    const first = reader.internedText(0);
    const umlaut = reader.internedText(1);
    reader.read(row('tenant-b\tü'));
    expect(reader.internedText(0)).toBe('tenant-b');
    expect(reader.internedText(1)).toBe(umlaut);
    reader.read(row('tenant-a\t\\N'));
    expect(reader.internedText(0)).toBe(first);
    expect(reader.internedText(1)).toBeNull();
  });

  it('refuses a row with too few or too many fields', () => {
    const reader = new CopyTextRow(3);
    expect(() => reader.read(row('a\tb'))).toThrow(
      'a COPY row has another number of fields than the 3 expected',
    );
    expect(() => reader.read(row('a\tb\tc\td'))).toThrow(
      'another number of fields',
    );
    expect(() => reader.read(row('a\tb\tc'))).not.toThrow();
  });
});
