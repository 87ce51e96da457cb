import { BufferedBytes, BufferHold } from './BufferedBytes';

describe('BufferHold', () => {
  it('takes until the replica holds its capacity, and gives all back when done', () => {
    const all = new BufferedBytes(100);
    const first = new BufferHold(all);
    const second = new BufferHold(all);
    expect(first.take(60)).toBe(true);
    expect(second.take(30)).toBe(true);
    // Nothing is taken by a refusal.
    expect(second.take(11)).toBe(false);
    expect(all.held).toBe(90);
    expect(second.take(10)).toBe(true);
    expect(all.held).toBe(100);

    first.release();
    expect(all.held).toBe(40);
    expect(second.take(60)).toBe(true);
    second.release();
    expect(all.held).toBe(0);
  });

  it('takes nothing once released, and releases once', () => {
    const all = new BufferedBytes(100);
    const hold = new BufferHold(all);
    hold.take(50);
    hold.release();
    hold.release();
    expect(all.held).toBe(0);
    // A read that goes on after its request is done holds nothing the replica counts.
    expect(hold.take(10)).toBe(false);
    expect(hold.released).toBe(true);
    expect(all.held).toBe(0);
  });
});
