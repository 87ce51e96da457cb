import { entityRefName } from '@cellport/plugin-platform-common';
import { z } from 'zod';

/** `GET /alerts`: a cell (name or entity ref) and a state, both optional. */
export const alertListQuery = z.object({
  cell: z.string().min(1).max(255).transform(entityRefName).optional(),
  state: z.enum(['firing', 'resolved']).optional(),
});
