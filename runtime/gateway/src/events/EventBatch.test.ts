import { EventBatch } from './EventBatch';

const event = (id: string, text: string) => JSON.stringify({ id, text });

describe('EventBatch', () => {
  it('makes the ingest body of a segment from its bytes, whatever the events hold', () => {
    const events = [
      event('e1', 'plain'),
      event('e2', 'Zoë, 秘密, 🚀, a "quote", a back\\slash'),
      event('e3', 'line one\nline two\r\n'),
    ];
    const batch = EventBatch.fromSegment(Buffer.from(`${events.join('\n')}\n`));
    expect(batch.count).toBe(3);
    expect(JSON.parse(batch.toJsonBody().toString('utf8'))).toEqual({
      events: events.map(json => JSON.parse(json)),
    });
    expect(batch.events()).toEqual(events);
  });

  it('leaves out a torn last line and blank lines', () => {
    const batch = EventBatch.fromSegment(
      Buffer.from(
        `\n${event('e1', 'a')}\n\n${event('e2', 'b')}\n{"id":"e3","te`,
      ),
    );
    expect(batch.count).toBe(2);
    expect(batch.events()).toEqual([event('e1', 'a'), event('e2', 'b')]);
    expect(JSON.parse(batch.toJsonBody().toString('utf8')).events).toHaveLength(
      2,
    );
  });

  it('makes an empty body of an empty segment', () => {
    for (const bytes of ['', '{"id":"torn"']) {
      const batch = EventBatch.fromSegment(Buffer.from(bytes));
      expect(batch.count).toBe(0);
      expect(JSON.parse(batch.toJsonBody().toString('utf8'))).toEqual({
        events: [],
      });
      expect(batch.events()).toEqual([]);
    }
  });
});
