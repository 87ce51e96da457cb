import { z } from 'zod';
import { proposedChangeSchema } from './ProposedChange';

const nameSchema = z.string().min(1).max(255);

/**
 * `POST /replays`: checked strictly, so a misspelt property (`chnage`) is refused by name
 * instead of replaying the unchanged state.
 */
export const replayRequestBody = z
  .object({
    cell: nameSchema.optional(),
    agent: nameSchema.optional(),
    from: z.string(),
    to: z.string(),
    change: proposedChangeSchema.optional(),
  })
  .strict();
