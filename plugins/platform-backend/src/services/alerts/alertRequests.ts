import { entityRefName } from '@cellport/plugin-platform-common';
import { z } from 'zod';

/**
 * `GET /alerts`: a cell (name or entity ref) and a state, both optional, and the page (its
 * bounds are openapi.yaml's, checked before).
 */
export const alertListQuery = z.object({
  cell: z.string().min(1).max(255).transform(entityRefName).optional(),
  state: z.enum(['firing', 'resolved']).optional(),
  limit: z.coerce.number().int().default(100),
  cursor: z.string().max(300).optional(),
});
