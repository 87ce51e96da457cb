import { parseInput, scopeQuery } from './validation';

describe('scope queries', () => {
  it('take a name or an entity ref, and answer by name', () => {
    expect(
      parseInput(
        scopeQuery,
        { cell: 'cell:default/eu-west-shared-1' },
        'query',
      ),
    ).toEqual({ cell: 'eu-west-shared-1' });
    expect(
      parseInput(
        scopeQuery,
        { tenant: 'tenant:northwind-retail', agent: 'checkout' },
        'query',
      ),
    ).toEqual({ tenant: 'northwind-retail', agent: 'checkout' });
  });

  it('name the field of a bad value', () => {
    expect(() => parseInput(scopeQuery, { cell: '' }, 'query')).toThrow(
      /^Invalid query: cell: /,
    );
  });
});
