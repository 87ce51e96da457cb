import { testState } from '../__testUtils__/fixtures';
import { StateValidationError } from './CompiledState';
import { StateStore } from './StateStore';

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
});
