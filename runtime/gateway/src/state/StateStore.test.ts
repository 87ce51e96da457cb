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
});
