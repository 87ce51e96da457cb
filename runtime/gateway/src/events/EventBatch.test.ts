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
    expect(batch.firstEvent()).toBe(events[0]);
  });

  it('leaves out a torn last line and blank lines', () => {
    const batch = EventBatch.fromSegment(
      Buffer.from(
        `\n${event('e1', 'a')}\n\n${event('e2', 'b')}\n{"id":"e3","te`,
      ),
    );
    expect(batch.count).toBe(2);
    expect(batch.events()).toEqual([event('e1', 'a'), event('e2', 'b')]);
    expect(batch.firstEvent()).toBe(event('e1', 'a'));
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
      expect(batch.firstEvent()).toBeUndefined();
    }
  });

  it('splits into parts whose bodies are at most the bound in bytes, in order, an event too large alone', () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      // Three bytes a character on the wire; every eleventh event over the bound alone.
      event(`e${i}`, '東'.repeat(i % 11 === 10 ? 400 : 30 + i)),
    );
    const batch = EventBatch.fromSegment(Buffer.from(`${events.join('\n')}\n`));
    const parts = batch.split(1000);
    expect(parts.length).toBeGreaterThan(4);
    for (const part of parts) {
      const body = part.toJsonBody();
      expect(part.bodyBytes).toBe(body.length);
      expect(body.length <= 1000 || part.count === 1).toBe(true);
      expect(JSON.parse(body.toString('utf8')).events).toHaveLength(part.count);
    }
    expect(parts.flatMap(part => part.events())).toEqual(events);
    // Each part as full as the bound lets it be: the next one's first event did not fit.
    expect(
      parts.slice(0, -1).map((part, i) => {
        const next = Buffer.byteLength(parts[i + 1].events()[0]) + 1;
        return part.bodyBytes + next > 1000;
      }),
    ).not.toContain(false);
    // Only by the events: the same events are always cut the same way.
    expect(
      EventBatch.fromSegment(Buffer.from(`${events.join('\n')}\n`))
        .split(1000)
        .map(part => part.digest()),
    ).toEqual(parts.map(part => part.digest()));
    expect(batch.split(batch.bodyBytes)).toHaveLength(1);
    expect(EventBatch.fromSegment(Buffer.from('')).split(1000)).toEqual([]);
  });

  it('halves a batch into its first and second halves of events', () => {
    const events = ['a', 'b', 'c', 'd', 'e'].map(id => event(id, id));
    const batch = EventBatch.fromSegment(Buffer.from(`${events.join('\n')}\n`));
    const [first, second] = batch.halves();
    expect([first.count, second.count]).toEqual([3, 2]);
    expect([...first.events(), ...second.events()]).toEqual(events);
    expect(
      JSON.parse(second.toJsonBody().toString('utf8')).events,
    ).toHaveLength(2);
  });
});
