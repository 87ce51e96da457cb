import { randomFillSync } from 'node:crypto';

/**
 * Random trace and span ids in hex, cut from a pool refilled 4 KiB at a time: one system
 * call per few hundred ids instead of one per id.
 */
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const hex = pool.toString('hex', used, used + bytes);
    used += bytes;
    // All zeros is the invalid id of W3C trace context.
    if (!/^0+$/.test(hex)) return hex;
  }
}

export const newTraceId = () => randomHex(16);
export const newSpanId = () => randomHex(8);
