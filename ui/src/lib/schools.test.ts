import { describe, expect, it } from 'vitest';
import type { School } from '../api/types/School';
import type { RoleOption } from '../api/types/RoleOption';
import { nextRole, offeredSchools, preTicked, schoolStatusLabel } from './schools';

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

describe('what a new visit and a new participant start with', () => {
  it('ticks the commune’s only open school, and nothing when there are several or none', () => {
    expect(preTicked([school('a', 'open')])).toEqual(['a']);
    expect(preTicked([school('a', 'open'), school('b', 'closed')])).toEqual(['a']);
    expect(preTicked([school('a', 'open'), school('b', 'open')])).toEqual([]);
    expect(preTicked([school('a', 'closing')])).toEqual([]);
    expect(preTicked([])).toEqual([]);
  });

  const roles: RoleOption[] = [
    { value: 'maire', label: 'Maire' },
    { value: 'adjoint', label: 'Adjoint(e)' },
    { value: 'directeur', label: 'Directeur' },
  ];

  it('gives a new participant the first role nobody has yet, not « Maire » twice', () => {
    expect(nextRole(roles, [])).toBe('maire');
    expect(nextRole(roles, ['maire'])).toBe('adjoint');
    expect(nextRole(roles, ['adjoint', 'maire'])).toBe('directeur');
    expect(nextRole(roles, ['adjoint', 'maire', 'directeur'])).toBe('directeur');
    expect(nextRole([], [])).toBeNull();
  });
});
