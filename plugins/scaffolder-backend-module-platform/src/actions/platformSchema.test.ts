import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  classificationSchema,
  rateLimitsSchema,
  tenantTierSchema,
} from '@cellport/plugin-platform-common';
import { z as zod3 } from 'zod/v3';
import { z } from 'zod';
import { platformSchema } from './platformSchema';
import { createPlanTenantOnboardingAction } from './tenant/planTenantOnboarding';

describe('platformSchema', () => {
  const declared = (
    createPlanTenantOnboardingAction({ catalog: catalogServiceMock() }).schema
      ?.input as any
  ).properties;

  it("declares the kinds' enums, bounds and patterns as the action's input", () => {
    expect(declared.tier).toMatchObject({ enum: tenantTierSchema.options });
    expect(declared.dataClassification).toMatchObject({
      enum: classificationSchema.options,
    });
    expect(declared.requestsPerMinute).toEqual({
      type: 'integer',
      exclusiveMinimum: 0,
      maximum: 10_000_000,
    });
    expect(declared.monthlyBudgetUsd).toMatchObject({
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1_000_000_000,
    });
    expect(declared.region.pattern).toBe('^[a-z][a-z0-9-]*[a-z0-9]$');
  });

  it('keeps the bounds when it parses', () => {
    const rpm = platformSchema(zod3, rateLimitsSchema.shape.requestsPerMinute);
    expect(rpm.safeParse(600).success).toBe(true);
    expect(rpm.safeParse(0).success).toBe(false);
    expect(rpm.safeParse(1.5).success).toBe(false);
    expect(rpm.safeParse(1e308).success).toBe(false);
  });

  it('refuses a fragment it cannot carry, rather than accepting anything', () => {
    expect(() => platformSchema(zod3, z.object({ a: z.string() }))).toThrow(
      /No scaffolder input schema for/,
    );
  });
});
