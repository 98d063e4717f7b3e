import { describe, expect, it } from 'vitest';
import { accentPalette, applyAccent } from './accent';

describe('accent colour', () => {
  it('derives the app’s accent variables from the letterhead colour', () => {
    const p = accentPalette('#2E6B3A');
    expect(p?.['--navy']).toBe('#2e6b3a');
    // Darker shades stay darker, the tint is light.
    const lum = (h: string) => parseInt(h.slice(1, 3), 16) + parseInt(h.slice(3, 5), 16) + parseInt(h.slice(5, 7), 16);
    expect(lum(p!['--navy-dark'])).toBeLessThan(lum(p!['--navy']));
    expect(lum(p!['--navy-darker'])).toBeLessThan(lum(p!['--navy-dark']));
    expect(lum(p!['--navy-tint'])).toBeGreaterThan(3 * 220);
    expect(accentPalette('#000000')?.['--navy-darker']).toBe('#000000');
  });

  it('sets the variables on the target, and leaves it alone for a bad value', () => {
    const set: Record<string, string> = {};
    const target = { setProperty: (n: string, v: string) => (set[n] = v) };
    expect(applyAccent('#1d4e89', target)).toBe(true);
    expect(set['--navy']).toBe('#1d4e89');
    expect(Object.keys(set).sort()).toEqual(['--navy', '--navy-dark', '--navy-darker', '--navy-tint']);
    const untouched: Record<string, string> = {};
    for (const bad of ['', 'blue', '#12345', '#1d4e89ff', 'url(x)']) {
      expect(applyAccent(bad, { setProperty: (n, v) => (untouched[n] = v) })).toBe(false);
    }
    expect(untouched).toEqual({});
  });
});

describe('the colour field of Réglages', () => {
  it('is a colour input with a visible label of its own, in the letterhead form', () => {
    const sources = import.meta.glob('../components/LetterheadForm.svelte', {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;
    const form = Object.values(sources)[0] ?? '';
    const input = /<input\s[^>]*?id=\{id\('accent'\)\}[^>]*?type="color"/s.exec(form);
    expect(input, 'a type="color" input with the accent id').not.toBeNull();
    // A <label for> (visible), not an aria-label: axe's `label` rule and a sighted user.
    expect(form).toMatch(/<label for=\{id\('accent'\)\}>Couleur d’accent<\/label>/);
    expect(form).toContain('applyAccent(s.accent');
  });
});
