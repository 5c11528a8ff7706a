import { z } from 'zod';

/**
 * docs/ARCHITECTURE.md, "The dual-write lab": how an app hands its messages on (the outbox, or one
 * of the two classic dual writes), whether its consumers record what they handled, and the faults
 * armed, each a probability drawn from a seeded generator.
 */
export const LAB_DELIVERIES = ['outbox', 'publish-after-commit', 'publish-before-commit'] as const;
export type LabDelivery = (typeof LAB_DELIVERIES)[number];

export const LAB_FAULTS = ['crashAfterCommit', 'publishFails', 'rollbackAfterPublish', 'redeliver'] as const;
export type LabFault = (typeof LAB_FAULTS)[number];

const Probability = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const Seed = z
  .number()
  .int('must be an integer')
  .min(0, 'must be between 0 and 4294967295')
  .max(0xffff_ffff, 'must be between 0 and 4294967295');

export interface LabSettings {
  delivery: LabDelivery;
  inbox: 'on' | 'off';
  faults: Record<LabFault, number>;
  seed: number;
}

/** `PUT /lab`: any of the settings (faults one by one), or `reset: true` for the defaults. */
export const LabSettingsPatchSchema = z.strictObject({
  delivery: z.enum(LAB_DELIVERIES).optional(),
  inbox: z.enum(['on', 'off']).optional(),
  faults: z
    .strictObject(
      Object.fromEntries(LAB_FAULTS.map((fault) => [fault, Probability.optional()])) as {
        [F in LabFault]: z.ZodOptional<typeof Probability>;
      },
    )
    .optional(),
  seed: Seed.optional(),
  reset: z.literal(true, 'must be true (it restores the defaults)').optional(),
});
export type LabSettingsPatch = z.infer<typeof LabSettingsPatchSchema>;

export const DEFAULT_LAB_SETTINGS: LabSettings = {
  delivery: 'outbox',
  inbox: 'on',
  faults: { crashAfterCommit: 0, publishFails: 0, rollbackAfterPublish: 0, redeliver: 0 },
  seed: 1,
};

/** The settings after `patch` (a reset first restores the defaults, then the rest applies). */
export function patchLabSettings(current: LabSettings, patch: LabSettingsPatch): LabSettings {
  const base = patch.reset ? DEFAULT_LAB_SETTINGS : current;
  return {
    delivery: patch.delivery ?? base.delivery,
    inbox: patch.inbox ?? base.inbox,
    faults: {
      ...base.faults,
      ...Object.fromEntries(Object.entries(patch.faults ?? {}).filter(([, p]) => p !== undefined)),
    },
    seed: patch.seed ?? base.seed,
  };
}
