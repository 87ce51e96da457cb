import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import express, { ErrorRequestHandler } from 'express';
import { AddressInfo } from 'node:net';
import { failureAnswers } from './failureAnswers';

/** What reached the error middleware after failureAnswers, where Backstage's would answer it. */
interface PassedOn {
  error: unknown;
  retryAfter?: string;
}

/**
 * An app whose routes fail as given, with failureAnswers and then a stand-in for Backstage's
 * error handler that keeps what it was passed.
 */
async function startApp(routes: (app: express.Express) => void): Promise<{
  post: (path: string, init?: RequestInit) => Promise<PassedOn>;
  close: () => Promise<unknown>;
}> {
  const app = express();
  routes(app);
  const logger = {
    error: jest.fn(),
  } as Partial<LoggerService> as LoggerService;
  app.use(failureAnswers(logger));
  let passedOn: PassedOn | undefined;
  const backstageHandler: ErrorRequestHandler = (error, _req, res, _next) => {
    passedOn = { error, retryAfter: res.get('Retry-After') };
    res.status(200).end();
  };
  app.use(backstageHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    close: () => new Promise(resolve => server.close(resolve)),
    post: async (path, init) => {
      passedOn = undefined;
      await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        ...init,
      });
      if (!passedOn) throw new Error(`no error reached the handler: ${path}`);
      return passedOn;
    },
  };
}

describe('failureAnswers', () => {
  const inputError = new InputError('Invalid query: limit: must be an integer');
  const notAllowed = new NotAllowedError('not a tenant of yours');
  // A client's error escaping a route: the Kubernetes API server's answer, not ours.
  const kubernetesNotFound = Object.assign(
    new Error('pods "vllm-0" not found in namespace "cell-secret"'),
    { status: 404, statusCode: 404 },
  );
  const catalogRefused = Object.assign(
    new Error(
      'request to http://catalog:7007 failed, reason: connect ECONNREFUSED',
    ),
    { name: 'FetchError', code: 'ECONNREFUSED' },
  );

  let app: Awaited<ReturnType<typeof startApp>>;
  const post = (path: string, init?: RequestInit) => app.post(path, init);
  afterAll(() => app.close());
  beforeAll(async () => {
    app = await startApp(routes => {
      const failWith = (error: Error) => () => {
        throw error;
      };
      routes.post('/input', failWith(inputError));
      routes.post('/not-allowed', failWith(notAllowed));
      routes.post('/kubernetes', failWith(kubernetesNotFound));
      routes.post('/catalog', failWith(catalogRefused));
      routes.post('/json', express.json({ limit: 10 }), (_req, res) => {
        res.end();
      });
    });
  });

  it("passes Backstage's errors on unchanged", async () => {
    expect((await post('/input')).error).toBe(inputError);
    expect((await post('/not-allowed')).error).toBe(notAllowed);
  });

  it("passes the body parser's 413 and 415 on unchanged", async () => {
    const tooLarge = await post('/json', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(100) }),
    });
    const badCharset = await post('/json', {
      headers: { 'content-type': 'application/json; charset=latin1' },
      body: '{}',
    });
    expect([tooLarge.error, badCharset.error]).toEqual([
      expect.objectContaining({ status: 413, type: 'entity.too.large' }),
      expect.objectContaining({ status: 415, type: 'charset.unsupported' }),
    ]);
  });

  it('answers an error that carries a status but is not exposed as a neutral 500', async () => {
    const { error } = await post('/kubernetes');
    expect(error).not.toBe(kubernetesNotFound);
    expect({ ...(error as object) }).toEqual({});
    expect((error as Error).message).toMatch(
      /^an internal error occurred \(logId=[0-9a-f]+\)$/,
    );
  });

  it("answers another client's refused socket as a 503 that does not name the database", async () => {
    const { error, retryAfter } = await post('/catalog');
    expect({ retryAfter, name: (error as Error).name }).toEqual({
      retryAfter: '5',
      name: 'ServiceUnavailableError',
    });
    expect((error as Error).message).toMatch(
      /^a service this request needs cannot answer now; send the request again \(logId=[0-9a-f]+\)$/,
    );
  });
});
