import { z } from 'zod';

const nameSchema = z.string().min(1).max(255);

/**
 * `GET /recommendations`: one cell or one tenant and the days to replay. Strict, so a
 * misspelt parameter (`tennant`) is refused by name rather than answering for nothing.
 */
export const recommendationQuery = z
  .object({
    cell: nameSchema.optional(),
    tenant: nameSchema.optional(),
    days: z.coerce.number().int().min(1).max(31).default(7),
  })
  .strict();
