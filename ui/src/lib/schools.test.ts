import { describe, expect, it } from 'vitest';
import type { School } from '../api/types/School';
import { offeredSchools, schoolStatusLabel } from './schools';

function school(id: string, status: School['status']): School {
  return {
    id,
    uai: null,
    name: `École ${id}`,
    kind: 'primaire',
    public: true,
    commune_insee: '80620',
    classes: null,
    pupils: null,
    source: 'directory',
    status,
  };
}

describe('schools of a visit', () => {
  const all = [school('a', 'open'), school('b', 'closing'), school('c', 'closed')];

  it('offers the open schools only to a visit that has none of the others', () => {
    expect(offeredSchools(all, []).map((s) => s.id)).toEqual(['a']);
  });

  it('keeps a closing school in the visit it is already part of', () => {
    expect(offeredSchools(all, ['b']).map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('says the state in French', () => {
    expect(all.map((s) => schoolStatusLabel(s.status))).toEqual(['', 'à fermer', 'fermée']);
  });
});
