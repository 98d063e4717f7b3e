import { describe, expect, it } from 'vitest';
import { href, parseHash, sectionOf, type Route } from './routes';

describe('hash routes', () => {
  const cases: [string, Route][] = [
    ['', { name: 'home' }],
    ['#/', { name: 'home' }],
    ['#/communes', { name: 'communes' }],
    ['#/communes/80620', { name: 'commune', insee: '80620' }],
    ['#/visites', { name: 'visits' }],
    ['#/visites/0192f0c4-aaaa-7bbb-8ccc-123456789abc', { name: 'visit', id: '0192f0c4-aaaa-7bbb-8ccc-123456789abc' }],
    ['#/catalogue', { name: 'catalogue' }],
    ['#/synchronisation', { name: 'sync' }],
    ['#/reglages', { name: 'settings' }],
    ['#/nimporte-quoi', { name: 'home' }],
  ];
  it.each(cases)('%j', (hash, route) => {
    expect(parseHash(hash)).toEqual(route);
  });

  it('round-trips every route', () => {
    for (const [, route] of cases) {
      expect(parseHash(href(route))).toEqual(route);
    }
  });

  it('maps detail screens to their rail entry', () => {
    expect(sectionOf({ name: 'commune', insee: '80001' })).toBe('communes');
    expect(sectionOf({ name: 'visit', id: 'x' })).toBe('visits');
    expect(sectionOf({ name: 'catalogue' })).toBe('catalogue');
  });
});
