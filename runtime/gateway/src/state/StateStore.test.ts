import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testState } from '../__testUtils__/fixtures';
import { hashApiKey } from '../auth/ApiKeyAuthenticator';
import { StateValidationError } from './CompiledState';
import { StateStore, StateVersionConflict } from './StateStore';

/** The test state with `keys` more API keys: a push a few thousand entries long. */
function withKeys(version: string, keys: number) {
  const state = testState('http://x', version);
  for (let i = 0; i < keys; i++) {
    state.apiKeys.push({
      sha256: hashApiKey(`${version}-${i}`),
      prefix: 'cp-many',
      tenant: 'northwind',
    });
  }
  return state;
}

/** Turns of the event loop until `promise` settles. */
async function turnsUntil(promise: Promise<unknown>): Promise<number> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  let turns = 0;
  while (!settled) {
    await new Promise(resolve => setImmediate(resolve));
    turns += 1;
  }
  return turns;
}

describe('StateStore', () => {
  it('applies a valid state and reports whether the version changed', () => {
    const store = new StateStore();
    expect(store.apply(testState('http://x', 'a'))).toEqual({
      version: 'a',
      changed: true,
    });
    expect(store.apply(testState('http://x', 'a'))).toEqual({
      version: 'a',
      changed: false,
    });
    expect(store.current!.profilesByName.get('gpt-4o')!.map(p => p.id)).toEqual(
      ['eu-large', 'us-large'],
    );
  });

  it('reads a profile without a type as chat, and validates agent limits', () => {
    const store = new StateStore();
    const document = testState('http://x', 'a') as any;
    delete document.modelProfiles[0].type;
    document.agents[0].limits = { requestsPerMinute: 5, tokensPerMinute: 100 };
    store.apply(document);
    expect(store.current!.profiles.get('eu-large')!.type).toBe('chat');
    expect(store.current!.profiles.get('eu-embed')!.type).toBe('embeddings');
    expect(store.current!.agents.get('nw-assistant')!.limits).toEqual({
      requestsPerMinute: 5,
      tokensPerMinute: 100,
    });
    document.agents[0].limits = { requestsPerMinute: 0, tokensPerMinute: 100 };
    document.modelProfiles[1].type = 'completion';
    expect(() => store.apply({ ...document, version: 'b' })).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.stringMatching(/^modelProfiles\.1\.type: /),
          'agents.0.limits.requestsPerMinute: must be greater than 0',
        ]),
      }),
    );
  });

  it('rejects dangling references and duplicates whole, naming each field', () => {
    const store = new StateStore();
    store.apply(testState('http://x', 'a'));
    const bad = testState('http://x', 'b');
    bad.tenants[0].allowedModels.push('ghost');
    bad.agents[0].tenant = 'nobody';
    bad.modelProfiles.push({ ...bad.modelProfiles[0] });
    let error: StateValidationError | undefined;
    try {
      store.apply(bad);
    } catch (e) {
      error = e as StateValidationError;
    }
    expect(error).toBeInstanceOf(StateValidationError);
    expect(error!.issues).toEqual(
      expect.arrayContaining([
        'modelProfiles: duplicate id "eu-large"',
        'tenants.0.allowedModels.4: unknown model profile "ghost"',
        'agents.0.tenant: unknown tenant "nobody"',
      ]),
    );
    expect(store.current!.version).toBe('a');
  });

  it('refuses ids that could share Redis counters with another tenant or agent', () => {
    const store = new StateStore();
    const bad = testState('http://x', 'b');
    // Tenant "northwind}:agent:bot" would count on agent "bot}" of tenant "northwind".
    bad.tenants[1].id = 'northwind}:agent:bot';
    bad.agents[0].id = 'bot}';
    expect(() => store.apply(bad)).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.stringMatching(
            /^tenants\.1\.id: must be a catalog entity name/,
          ),
          expect.stringMatching(
            /^agents\.0\.id: must be a catalog entity name/,
          ),
        ]),
      }),
    );
  });

  it('takes a push over turns of the event loop, keeping the state in force until it is swapped in', async () => {
    const store = new StateStore();
    store.apply(testState('http://x', 'a'));
    const seen = new Set<string>();
    const pushed = store.push(withKeys('b', 10_000));
    const watching = (async () => {
      while (store.current!.version === 'a') {
        seen.add(`${store.current!.version}:${store.current!.keysByHash.size}`);
        await new Promise(resolve => setImmediate(resolve));
      }
    })();
    // Ten thousand keys are at least thirty slices: checked, cross-checked, compiled, digested.
    expect(await turnsUntil(pushed)).toBeGreaterThanOrEqual(30);
    await watching;
    expect(await pushed).toEqual({ version: 'b', changed: true });
    expect([...seen]).toEqual([
      `a:${testState('http://x', 'a').apiKeys.length}`,
    ]);
    expect(store.current!.keysByHash.size).toBe(
      testState('http://x', 'b').apiKeys.length + 10_000,
    );
  });

  it('reads a state file written with a byte-order mark, and reloads it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cellport-state-')), 's.json');
    writeFileSync(
      file,
      `\uFEFF${JSON.stringify(testState('http://x', 'bom'))}`,
    );
    const store = new StateStore();
    expect(store.loadFile(file).version).toBe('bom');
    writeFileSync(file, JSON.stringify(testState('http://x', 'bom-2')));
    expect(await store.reloadFile(file)).toEqual({
      version: 'bom-2',
      changed: true,
    });
    writeFileSync(file, '{"version":');
    await expect(store.reloadFile(file)).rejects.toThrow(
      /cannot read gateway state file/,
    );
    expect(store.current!.version).toBe('bom-2');
  });

  it('applies pushes one at a time in the order they came; a refused one holds up none', async () => {
    const store = new StateStore();
    store.apply(testState('http://x', 'a'));
    const swapped: string[] = [];
    store.onChange(state => swapped.push(state.version));
    const bad = withKeys('bad', 3_000);
    bad.apiKeys[2_500].tenant = 'nobody';
    const results = await Promise.allSettled([
      store.push(withKeys('b', 5_000)),
      store.push(bad),
      store.push(testState('http://x', 'c')),
      // The same version with other content: refused when its turn comes.
      store.push(withKeys('c', 1)),
    ]);
    expect(results.map(result => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(
      StateValidationError,
    );
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(
      StateVersionConflict,
    );
    expect(swapped).toEqual(['b', 'c']);
    expect(store.current!.version).toBe('c');
  });
});
