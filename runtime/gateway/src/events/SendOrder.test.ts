import { EventBatch } from './EventBatch';
import { SendOrder } from './SendOrder';

const batch = (id: string) =>
  EventBatch.fromSegment(Buffer.from(`${JSON.stringify({ id })}\n`));

/**
 * Plays the sender over `segments` (oldest first) as `SpooledEventDelivery` does: the next is
 * the oldest not passed over; `fails` says which sends fail. Returns the sends in order.
 */
function play(
  order: SendOrder,
  segments: string[],
  fails: (name: string, attempt: number) => boolean,
  sends: number,
): string[] {
  const sent: string[] = [];
  for (let attempt = 0; attempt < sends && segments.length > 0; attempt++) {
    const name =
      segments.find(segment => !order.isPassedOver(segment)) ?? segments[0];
    if (order.waitMs(name) > 0) break;
    sent.push(name);
    if (fails(name, attempt)) {
      const younger = segments.some(
        segment => segment > name && !order.isPassedOver(segment),
      );
      order.failed(name, batch(name), younger);
    } else {
      order.succeeded(name);
      segments.splice(segments.indexOf(name), 1);
    }
  }
  return sent;
}

describe('SendOrder', () => {
  it('passes over a batch the receiver fails on every time, after three tries, for the younger ones', () => {
    const order = new SendOrder(
      30_000,
      () => 1,
      () => 0,
    );
    const segments = ['a', 'b', 'c'];
    const sent = play(order, segments, name => name === 'a', 6);
    expect(sent).toEqual(['a', 'a', 'a', 'b', 'a', 'c']);
    // Failed on probation: it waits on a backoff of its own, and nothing waits for it.
    expect(segments).toEqual(['a']);
    expect(order.waitMs('a')).toBeGreaterThan(0);
    expect(order.isPassedOver('a')).toBe(true);
  });

  it('keeps the oldest first through an outage of the receiver, however long', () => {
    const order = new SendOrder(
      30_000,
      () => 1,
      () => 0,
    );
    const segments = ['a', 'b', 'c'];
    // Down for twenty sends, then up.
    const sent = play(order, segments, (_, attempt) => attempt < 20, 30);
    expect(sent.slice(20)).toEqual(['a', 'b', 'c']);
    // While down, a younger one was tried only to tell an outage from a bad batch.
    expect(sent.slice(0, 20).filter(name => name !== 'a').length).toBeLessThan(
      8,
    );
  });

  it('tries a passed-over segment again at once when the receiver comes back on the next', () => {
    const order = new SendOrder(
      30_000,
      () => 1,
      () => 0,
    );
    const segments = ['a', 'b', 'c'];
    // Down until the send after the first pass-over: that one, of b, is delivered.
    const sent = play(order, segments, (_, attempt) => attempt < 3, 10);
    expect(sent).toEqual(['a', 'a', 'a', 'b', 'a', 'c']);
    expect(segments).toEqual([]);
  });

  it('tries a bad batch again when its own backoff is over', () => {
    let now = 0;
    const order = new SendOrder(
      30_000,
      () => 1,
      () => now,
    );
    const segments = ['a', 'b'];
    play(order, segments, name => name === 'a', 5);
    expect(segments).toEqual(['a']);
    const wait = order.waitMs('a');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30_000);
    now += wait;
    expect(order.isPassedOver('a')).toBe(false);
    expect(play(order, segments, () => false, 1)).toEqual(['a']);
    expect(order.passingOver).toBe(false);
  });

  it('gets past two batches in a row that the receiver fails on every time', () => {
    const order = new SendOrder(
      30_000,
      () => 1,
      () => 0,
    );
    const segments = ['a', 'b', 'c', 'd'];
    const poison = (name: string) => name === 'a' || name === 'b';
    const sent = play(order, segments, poison, 40);
    // Told apart from an outage once a younger one is delivered: both wait on their own backoff.
    expect(segments).toEqual(['a', 'b']);
    expect(sent.indexOf('c')).toBeLessThan(10);
    expect(order.waitMs('a')).toBeGreaterThan(0);
    expect(order.waitMs('b')).toBeGreaterThan(0);
  });

  it('gets past a run of bad batches as long as the run is, one more each time it probes', () => {
    const order = new SendOrder(
      30_000,
      () => 1,
      () => 0,
    );
    const bad = ['a', 'b', 'c', 'd', 'e', 'f'];
    const segments = [...bad, 'g', 'h'];
    const sent = play(order, segments, name => bad.includes(name), 200);
    expect(segments).toEqual(bad);
    expect(sent.length).toBeLessThan(200);
  });

  it("keeps a failed segment's batch for its next try, and lets it go once it leaves", () => {
    const order = new SendOrder(30_000);
    const first = batch('a');
    order.failed('a', first, false);
    expect(order.batchOf('a')).toBe(first);
    order.succeeded('a');
    expect(order.batchOf('a')).toBeUndefined();
  });
});
