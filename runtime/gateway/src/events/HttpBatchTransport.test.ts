import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBatch } from './EventBatch';
import { HttpBatchTransport } from './HttpBatchTransport';

/** Sends one batch to a portal that answers `answer`; resolves with what was reported. */
async function deliver(answer: object): Promise<Array<[number, unknown]>> {
  const portal = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer)),
    );
  });
  await new Promise<void>(resolve =>
    portal.listen(0, '127.0.0.1', () => resolve()),
  );
  const reported: Array<[number, unknown]> = [];
  const transport = new HttpBatchTransport(
    `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
    'token',
    (count, rejections) => reported.push([count, rejections]),
  );
  try {
    await transport.send(
      EventBatch.fromSegment(Buffer.from('{"id":"a"}\n{"id":"b"}\n')),
    );
    return reported;
  } finally {
    await transport.close();
    portal.closeAllConnections();
    await new Promise(resolve => portal.close(resolve));
  }
}

describe('HttpBatchTransport', () => {
  it('reports the events of a delivered batch the portal refused one by one, as the portal names them', async () => {
    // What a portal answers when one event of two breaks its contract: the other is stored.
    const rejection = {
      index: 1,
      message: 'events[1].outcome: expected one of ...',
    };
    expect(
      await deliver({
        received: 2,
        stored: 1,
        duplicates: 0,
        rejected: 1,
        rejections: [rejection],
      }),
    ).toEqual([[1, [rejection]]]);
  });

  it('takes a batch as delivered whatever the answer says of its rejections', async () => {
    expect(await deliver({ rejected: 2, rejections: {} })).toEqual([[2, []]]);
    expect(await deliver({ received: 2, stored: 2 })).toEqual([]);
  });
});
