import { formatValidationIssues, validatePlatformEntity } from './registry';

const agent = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'Agent',
  metadata: { name: 'returns-assistant' },
  spec: {
    owner: 'group:northwind-commerce',
    tenant: 'northwind-retail',
    cell: 'eu-west-shared-1',
    modelProfiles: ['azure-gpt-4o-mini-eu'],
    routing: { policy: 'cost' },
    ...spec,
  },
});

describe('Agent rateLimits', () => {
  it('is optional, and has the shape of a tenant’s', () => {
    const without = validatePlatformEntity('Agent', agent());
    expect(without.ok && without.entity.spec.rateLimits).toBeUndefined();
    const limits = { requestsPerMinute: 120, tokensPerMinute: 90000 };
    const limited = validatePlatformEntity(
      'Agent',
      agent({ rateLimits: limits }),
    );
    expect(limited.ok && limited.entity.spec.rateLimits).toEqual(limits);
  });

  it('names the bad field', () => {
    const result = validatePlatformEntity(
      'Agent',
      agent({ rateLimits: { requestsPerMinute: 0 } }),
    );
    expect(result.ok ? '' : formatValidationIssues(result.issues)).toBe(
      'spec.rateLimits.requestsPerMinute: must be greater than 0; ' +
        'spec.rateLimits.tokensPerMinute: is required',
    );
  });
});
