// How the catalogue's market, lot and validity read on screen. The demo catalogue has
// none of them: it says « démonstration » instead. Whether an item may go on a new line
// is the core's `availability`; this file only words it.
import type { CatalogueItem, Market } from '../api';
import { formatDate } from './format';

export const DEMO = 'démonstration';
const NOT_GIVEN = 'non renseigné';

/** « SN-2024-07 — Équipements numériques des écoles ». */
export function marketTitle(market: Market): string {
  return market.label ? `${market.reference} — ${market.label}` : market.reference;
}

/** The market column: its reference, « démonstration », or « non renseigné ». */
export function marketOf(item: CatalogueItem, demo: boolean): string {
  if (demo) return DEMO;
  return item.market ? item.market.reference : NOT_GIVEN;
}

/** « Lot 2 — Postes, tablettes et mobilité ». */
export function lotOf(item: CatalogueItem, demo: boolean): string {
  if (demo) return DEMO;
  if (item.lot === null) return NOT_GIVEN;
  return item.lot_label ? `Lot ${item.lot} — ${item.lot_label}` : `Lot ${item.lot}`;
}

/** « du 1 septembre 2026 au 31 août 2027 ». */
export function validityOf(item: CatalogueItem, demo: boolean): string {
  return validityLines(item, demo).join(' ');
}

/** The same, one part a line: « du 1 septembre 2026 », « au 31 août 2027 ». */
export function validityLines(item: CatalogueItem, demo: boolean): string[] {
  if (demo) return [DEMO];
  const { valid_from: from, valid_until: until } = item;
  if (from !== null && until !== null) return [`du ${formatDate(from)}`, `au ${formatDate(until)}`];
  if (until !== null) return [`jusqu’au ${formatDate(until)}`];
  if (from !== null) return [`à partir du ${formatDate(from)}`];
  return ['sans limite'];
}

/** « Écrans du Nord SAS, réf. EDN-IFP65-4K ». */
export function supplierOf(item: CatalogueItem): string | null {
  if (item.supplier && item.supplier_reference) return `${item.supplier}, réf. ${item.supplier_reference}`;
  if (item.supplier_reference) return `réf. fournisseur ${item.supplier_reference}`;
  return item.supplier;
}

/** Why an item is not offered for a new line, or null when it is. */
export function unavailableReason(item: CatalogueItem): string | null {
  switch (item.availability) {
    case 'offered':
      return null;
    case 'not_yet':
      return item.valid_from === null
        ? 'Pas encore valable'
        : `Pas encore valable (à partir du ${formatDate(item.valid_from)})`;
    case 'expired':
      return 'Hors validité';
  }
}

/** The short badge beside the validity dates, or null when the item is offered. */
export function unavailableBadge(item: CatalogueItem): string | null {
  if (item.availability === 'offered') return null;
  return item.availability === 'not_yet' ? 'Pas encore valable' : 'Hors validité';
}

/** « annuel (fonctionnement) », « ponctuel (investissement) ». */
export function periodicityOf(item: CatalogueItem): string {
  const section = item.budget_section === 'fonctionnement' ? 'fonctionnement' : 'investissement';
  return `${item.yearly ? 'annuel' : 'ponctuel'} (${section})`;
}
