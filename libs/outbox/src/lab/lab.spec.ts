import { DEFAULT_LAB_SETTINGS, type LabSettings } from '@passo/contracts';
import { Lab, LabFaultError, mulberry32 } from './lab';
import { judgeFailure, pausesConsumers } from '../errors/classify';

const armed = (faults: Partial<LabSettings['faults']>, seed = 1): LabSettings => ({
  ...DEFAULT_LAB_SETTINGS,
  faults: { ...DEFAULT_LAB_SETTINGS.faults, ...faults },
  seed,
});
const draws = (lab: Lab, fault: 'redeliver' | 'publishFails', n: number) =>
  Array.from({ length: n }, () => lab.fires(fault));

describe('Lab (the failpoints)', () => {
  it('fires nothing unless armed: a new lab, and one with every probability at 0', () => {
    const fired: string[] = [];
    const lab = new Lab((fault) => fired.push(fault));
    expect(draws(lab, 'redeliver', 1_000).some(Boolean)).toBe(false);
    lab.apply(armed({}));
    expect(draws(lab, 'publishFails', 1_000).some(Boolean)).toBe(false);
    expect(fired).toEqual([]);
  });

  it('fires always at 1, and at p about p of the time; each firing is reported', () => {
    const fired: string[] = [];
    const lab = new Lab((fault) => fired.push(fault));
    lab.apply(armed({ redeliver: 1 }));
    expect(draws(lab, 'redeliver', 100).every(Boolean)).toBe(true);
    lab.apply(armed({ publishFails: 0.3 }));
    const share = draws(lab, 'publishFails', 10_000).filter(Boolean).length / 10_000;
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect(fired.filter((f) => f === 'publishFails').length).toBe(Math.round(share * 10_000));
  });

  it('repeats its draws for a seed and a start; another start or seed draws others', () => {
    const sequence = (seed: number, generation: number) => {
      const lab = new Lab();
      lab.apply(armed({ redeliver: 0.5 }, seed), generation);
      return draws(lab, 'redeliver', 64);
    };
    expect(sequence(7, 0)).toEqual(sequence(7, 0));
    expect(sequence(7, 1)).not.toEqual(sequence(7, 0));
    expect(sequence(8, 0)).not.toEqual(sequence(7, 0));
  });

  it('gives each fault its own draws: arming a second does not move the first', () => {
    const alone = new Lab();
    alone.apply(armed({ redeliver: 0.5 }, 3));
    const both = new Lab();
    both.apply(armed({ redeliver: 0.5, publishFails: 0.5 }, 3));
    const seen: boolean[] = [];
    for (let i = 0; i < 64; i++) {
      both.fires('publishFails');
      seen.push(both.fires('redeliver'));
    }
    expect(seen).toEqual(draws(alone, 'redeliver', 64));
  });

  it('fails the transaction with a LabFaultError, which consumers retry as transient without pausing', () => {
    const lab = new Lab();
    lab.apply(armed({ rollbackAfterPublish: 1 }));
    let thrown: unknown;
    try {
      lab.rollbackAfterPublish('after publishing OrderPlaced');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LabFaultError);
    expect((thrown as Error).message).toBe('lab fault rollbackAfterPublish injected after publishing OrderPlaced');
    expect(judgeFailure(thrown)).toEqual({ class: 'transient', reason: 'lab-fault' });
    expect(pausesConsumers('lab-fault')).toBe(false);
  });
});

describe('mulberry32', () => {
  it('is uniform enough in [0, 1) and repeatable', () => {
    const a = mulberry32(42);
    const values = Array.from({ length: 10_000 }, a);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((x, y) => x + y, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    const b = mulberry32(42);
    expect(Array.from({ length: 10 }, b)).toEqual(values.slice(0, 10));
  });
});
