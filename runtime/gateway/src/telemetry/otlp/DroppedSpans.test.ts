import type { Logger } from 'pino';
import { DroppedSpans } from './DroppedSpans';

describe('DroppedSpans', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('says at once that spans were dropped, then at most every ten seconds, with every span counted', () => {
    const lines: Array<{ droppedSpans: number; reasons: string[] }> = [];
    const logger = {
      warn: (fields: { droppedSpans: number; reasons: string[] }) =>
        lines.push(fields),
    } as unknown as Logger;
    const dropped = new DroppedSpans(logger);

    dropped.add(3, 'collector answered 400');
    expect(lines).toEqual([
      { droppedSpans: 3, reasons: ['collector answered 400'] },
    ]);
    dropped.add(1024, 'ECONNREFUSED');
    dropped.add(1024, 'ECONNREFUSED');
    jest.advanceTimersByTime(9_000);
    expect(lines).toHaveLength(1);
    // The rest of the window's drops, when it ends, though no drop follows.
    jest.advanceTimersByTime(1_000);
    expect(lines[1]).toEqual({ droppedSpans: 2048, reasons: ['ECONNREFUSED'] });
    // And on shutdown, what the last window held.
    jest.advanceTimersByTime(1_000);
    dropped.add(7, 'Concurrent export limit reached');
    dropped.log();
    expect(lines[2]).toEqual({
      droppedSpans: 7,
      reasons: ['Concurrent export limit reached'],
    });
    dropped.log();
    jest.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(3);
  });

  it('once stopped, says so for every drop before the task ends: no line waits for a timer the exit would cut', () => {
    const lines: number[] = [];
    const logger = {
      warn: (fields: { droppedSpans: number }) =>
        lines.push(fields.droppedSpans),
    } as unknown as Logger;
    const dropped = new DroppedSpans(logger);
    dropped.add(2, 'collector answered 503');
    dropped.add(5, 'collector answered 503');
    dropped.stop();
    expect(lines).toEqual([2, 5]);
    // A cut-off request's three spans: one line.
    for (let i = 0; i < 3; i++) {
      dropped.add(1, 'the gateway had stopped exporting spans');
    }
    jest.runAllTicks();
    expect(lines).toEqual([2, 5, 3]);
    dropped.add(1, 'the gateway had stopped exporting spans');
    jest.runAllTicks();
    expect(lines).toEqual([2, 5, 3, 1]);
  });
});
