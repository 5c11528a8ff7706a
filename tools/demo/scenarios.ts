import type { LabSettingsPatch } from '@passo/contracts';

export interface Scenario {
  /** Column title. */
  name: string;
  /** What `PUT /lab` sets on every app. */
  lab: LabSettingsPatch;
  /** The outbox's columns must come out clean; a naive one is expected to show damage. */
  expectClean: boolean;
}

/** The faults every delivery runs under: the same probabilities, the same seed. */
export function deliveryFaults(): NonNullable<LabSettingsPatch['faults']> {
  return { crashAfterCommit: 0.05, publishFails: 0.1, rollbackAfterPublish: 0.1 };
}

/** A lost ack, for the inbox columns. */
export const REDELIVER = 0.3;

/** docs/ARCHITECTURE.md, "The dual-write lab": each delivery under the same faults, then the inbox off vs on. */
export function scenarios(seed: number): Scenario[] {
  const faults = deliveryFaults();
  return [
    { name: 'outbox', lab: { delivery: 'outbox', faults, seed }, expectClean: true },
    { name: 'publish-after-commit', lab: { delivery: 'publish-after-commit', faults, seed }, expectClean: false },
    { name: 'publish-before-commit', lab: { delivery: 'publish-before-commit', faults, seed }, expectClean: false },
    {
      name: 'inbox off + redeliver',
      lab: { inbox: 'off', faults: { redeliver: REDELIVER }, seed },
      expectClean: false,
    },
    { name: 'inbox on + redeliver', lab: { inbox: 'on', faults: { redeliver: REDELIVER }, seed }, expectClean: true },
  ];
}
