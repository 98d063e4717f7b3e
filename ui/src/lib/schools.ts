// Schools as the visit screens show them: the directory's state, which ones a visit may
// still take on (core: `SchoolStatus::offered_for_visits`, checked again by
// `visit_update`) and which it starts with; and the role a new participant starts with.
import type { Role } from '../api/types/Role';
import type { RoleOption } from '../api/types/RoleOption';
import type { School } from '../api/types/School';
import type { SchoolStatus } from '../api/types/SchoolStatus';

/** « à fermer », « fermée », or '' for an open school. */
export function schoolStatusLabel(status: SchoolStatus): string {
  switch (status) {
    case 'closing':
      return 'à fermer';
    case 'closed':
      return 'fermée';
    default:
      return '';
  }
}

/** The schools to offer in a visit: the open ones, and those already in it. */
export function offeredSchools(schools: School[], inVisit: readonly string[]): School[] {
  return schools.filter((s) => s.status === 'open' || inVisit.includes(s.id));
}

/** The schools a new visit starts with: the commune's only open school, else none to guess. */
export function preTicked(schools: School[]): string[] {
  const open = offeredSchools(schools, []);
  return open.length === 1 ? [open[0].id] : [];
}

/**
 * The role a new participant starts with: the first of the list nobody at the table has
 * yet (the mayor is there once; the next one is not « Maire » too), else the last one.
 */
export function nextRole(options: RoleOption[], taken: readonly Role[]): Role | null {
  return options.find((o) => !taken.includes(o.value))?.value ?? options[options.length - 1]?.value ?? null;
}
