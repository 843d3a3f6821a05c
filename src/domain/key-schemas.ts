import { z } from 'zod';

const positive = (max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: `must be an integer of 1–${max}` })
    .min(1, { error: `must be an integer of 1–${max}` })
    .max(max, { error: `must be an integer of 1–${max}` });

/** How `keys re-encrypt` works through the stored secrets. */
export const reencryptOptionsSchema = z.strictObject({
  /** Rows per transaction (each batch locks its rows until it commits). */
  batchSize: positive(10_000).default(100),
  /** Stop after this many batches (the rest is left for a later run); default: until done. */
  maxBatches: positive(2_147_483_647).optional(),
});
export type ReencryptOptions = z.output<typeof reencryptOptionsSchema>;
