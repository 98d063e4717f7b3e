// Schools as the visit screens show them: the directory's state, and which ones a visit
// may still take on (core: `SchoolStatus::offered_for_visits`, checked again by
// `visit_update`).
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
