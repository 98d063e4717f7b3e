import { describe, expect, it } from 'vitest';
import { Sequencer } from './sequencer';

describe('Sequencer', () => {
  // Each case: the order in which replies to requests 1..n arrive, and which are shown.
  const cases: [string, number, number[], number[]][] = [
    ['in order', 3, [1, 2, 3], [1, 2, 3]],
    ['newest first', 3, [3, 2, 1], [3]],
    ['one overtaken', 3, [2, 1, 3], [2, 3]],
    ['middle late', 4, [1, 3, 2, 4], [1, 3, 4]],
  ];
  it.each(cases)('%s', (_label, count, arrivals, shown) => {
    const seq = new Sequencer();
    const tickets = Array.from({ length: count }, () => seq.next());
    expect(tickets).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(arrivals.filter((t) => seq.accept(t))).toEqual(shown);
  });
});
