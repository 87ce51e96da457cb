import type { IncomingMessage, ServerResponse } from 'node:http';
import { RawUpstream } from './RawUpstream';

/**
 * A RawUpstream that also keeps what it was asked (each request's path and JSON body) and
 * counts the answers whose connection closed before it ended them: a caller's departure
 * reaching the upstream shows there.
 */
export class RecordingUpstream extends RawUpstream {
  readonly paths: string[] = [];
  /** Each request body, parsed; undefined for one that is not JSON. */
  readonly bodies: any[] = [];
  closedEarly = 0;

  constructor() {
    super();
    // RawUpstream drains each body unread: a listener put ahead of its handler sees every
    // byte, and keeps the body before the answer starts.
    this.server.prependListener(
      'request',
      (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', chunk => chunks.push(chunk));
        req.on('end', () => {
          this.paths.push(req.url ?? '');
          this.bodies.push(parsed(Buffer.concat(chunks).toString('utf8')));
        });
        res.on('close', () => {
          if (!res.writableEnded) this.closedEarly += 1;
        });
      },
    );
  }

  /** Forgets the requests seen so far. */
  forget(): void {
    this.paths.length = 0;
    this.bodies.length = 0;
  }
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
