import { describe, expect, it } from 'vitest';
import { nextZoom, ZOOM_STEPS, zoomKey } from './zoom';

const key = (k: string, extra: Partial<KeyboardEvent> = {}) => ({
  key: k,
  code: '',
  ctrlKey: true,
  metaKey: false,
  altKey: false,
  ...extra,
});

describe('zoomKey', () => {
  it.each([
    [key('+'), 'in'],
    [key('='), 'in'],
    [key('x', { code: 'NumpadAdd' }), 'in'],
    [key('-'), 'out'],
    [key('x', { code: 'NumpadSubtract' }), 'out'],
    [key('0'), 'reset'],
    [key('à', { code: 'Digit0' }), 'reset'],
    [key('+', { ctrlKey: false }), null],
    [key('+', { ctrlKey: false, metaKey: true }), 'in'],
    [key('+', { altKey: true }), null],
    [key('m'), null],
  ])('%j → %s', (event, expected) => expect(zoomKey(event)).toBe(expected));
});

describe('nextZoom', () => {
  it('steps up and down and stops at the ends', () => {
    expect(nextZoom(100, 'in')).toBe(110);
    expect(nextZoom(100, 'out')).toBe(90);
    expect(nextZoom(300, 'in')).toBe(300);
    expect(nextZoom(50, 'out')).toBe(50);
    expect(nextZoom(133, 'in')).toBe(150);
    expect(nextZoom(133, 'out')).toBe(125);
    expect(nextZoom(250, 'reset')).toBe(100);
  });

  it('goes back to 100 from either end by single steps', () => {
    let z = 50;
    for (let i = 0; i < ZOOM_STEPS.indexOf(100); i += 1) z = nextZoom(z, 'in');
    expect(z).toBe(100);
    z = 300;
    for (let i = 0; i < ZOOM_STEPS.length - 1 - ZOOM_STEPS.indexOf(100); i += 1) z = nextZoom(z, 'out');
    expect(z).toBe(100);
  });
});
