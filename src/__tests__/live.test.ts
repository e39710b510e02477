import { nullTranslator } from '@jupyterlab/translation';
import { liveLine } from '../widgets/live';

describe('liveLine', () => {
  const trans = nullTranslator.load('jupyterlab-portal-token');
  const line = (
    kernels: number,
    terminals: number | null,
    newTerminals = true
  ) => liveLine({ kernels, terminals, newTerminals }, trans);

  it('counts kernels and terminals, each in its own singular or plural', () => {
    expect(line(3, 1)).toBe('Live in 3 kernels, 1 terminal');
    expect(line(1, 2)).toBe('Live in 1 kernel, 2 terminals');
    expect(line(0, 1)).toBe('Live in 0 kernels, 1 terminal');
    // Terminals that got it still hold it after terminals were turned off.
    expect(line(2, 2, false)).toBe('Live in 2 kernels, 2 terminals');
  });

  it('says that new terminals get it while none holds it yet', () => {
    expect(line(1, 0)).toBe('Live in 1 kernel; new terminals get it');
    expect(line(2, 0)).toBe('Live in 2 kernels; new terminals get it');
  });

  it('speaks of kernels only where terminals do not get it', () => {
    expect(line(1, 0, false)).toBe('Live in 1 kernel');
    expect(line(2, null, false)).toBe('Live in 2 kernels');
  });
});
