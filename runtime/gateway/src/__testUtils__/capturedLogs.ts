import { Writable } from 'node:stream';
import pino, { Logger } from 'pino';

/**
 * A pino logger at `level` whose JSON lines are kept: for tests of what the gateway logs, and of
 * what it must never log (keys, tokens, prompts).
 */
export function capturedLogs(level: pino.LevelWithSilent = 'info'): {
  logger: Logger;
  /** Every line written so far, as written. */
  lines: string[];
  /** Every line written so far, parsed. */
  entries(): Array<Record<string, any>>;
} {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: pino({ level }, sink),
    lines,
    entries: () => lines.map(line => JSON.parse(line)),
  };
}
