import { describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../api';
import {
  DEMO,
  lotOf,
  marketOf,
  marketTitle,
  periodicityOf,
  supplierOf,
  unavailableBadge,
  unavailableReason,
  validityLines,
  validityOf,
} from './catalogue';

const NB = '\u00a0';

function item(over: Partial<CatalogueItem> = {}): CatalogueItem {
  return {
    reference: 'ENI65',
    category: 'Affichage collectif',
    designation: 'Écran',
    unit: 'unité',
    unit_price_cents: 189000,
    price_min_cents: 189000,
    price_max_cents: 189000,
    vat_rate_bp: 2000,
    lifetime_years: null,
    budget_section: 'investissement',
    socle_strand: null,
    price_status: 'prix du marché',
    yearly: false,
    supplier: 'Écrans du Nord SAS',
    supplier_reference: 'EDN-IFP65-4K',
    market: { reference: 'SN-2024-07', label: 'Équipements numériques des écoles', ends_on: '2027-08-31' },
    lot: '1',
    lot_label: 'Affichage collectif',
    valid_from: '2026-09-01',
    valid_until: '2027-08-31',
    availability: 'offered',
    ...over,
  };
}

describe('catalogue wording', () => {
  it('names the market, the lot and the validity of a syndicate item', () => {
    const it_ = item();
    expect(marketOf(it_, false)).toBe('SN-2024-07');
    expect(marketTitle(it_.market!)).toBe('SN-2024-07 — Équipements numériques des écoles');
    expect(lotOf(it_, false)).toBe('Lot 1 — Affichage collectif');
    expect(validityOf(it_, false)).toBe(`du 1er${NB}septembre${NB}2026 au 31${NB}août${NB}2027`);
    expect(periodicityOf(it_)).toBe('ponctuel (investissement)');
    expect(validityLines(it_, false)).toEqual([`du 1er${NB}septembre${NB}2026`, `au 31${NB}août${NB}2027`]);
    expect(supplierOf(it_)).toBe('Écrans du Nord SAS, réf. EDN-IFP65-4K');
    expect(supplierOf(item({ supplier: null }))).toBe('réf. fournisseur EDN-IFP65-4K');
    expect(supplierOf(item({ supplier: null, supplier_reference: null }))).toBeNull();
    expect(unavailableReason(it_)).toBeNull();
  });

  it('says « démonstration » for the demo catalogue', () => {
    const demo = item({ market: null, lot: null, lot_label: null, valid_from: null, valid_until: null });
    expect([marketOf(demo, true), lotOf(demo, true), validityOf(demo, true)]).toEqual([DEMO, DEMO, DEMO]);
  });

  it('says what is missing or limited', () => {
    const bare = item({ market: null, lot: null, lot_label: null, valid_from: null, valid_until: null });
    expect([marketOf(bare, false), lotOf(bare, false), validityOf(bare, false)]).toEqual([
      'non renseigné',
      'non renseigné',
      'sans limite',
    ]);
    expect(validityOf(item({ valid_from: null }), false)).toBe(`jusqu’au 31${NB}août${NB}2027`);
    expect(lotOf(item({ lot_label: null }), false)).toBe('Lot 1');
    expect(periodicityOf(item({ yearly: true, budget_section: 'fonctionnement' }))).toBe('annuel (fonctionnement)');
  });

  it('words why an item is not offered', () => {
    expect(unavailableReason(item({ availability: 'expired' }))).toBe('Hors validité');
    expect(unavailableBadge(item({ availability: 'not_yet' }))).toBe('Pas encore valable');
    expect(unavailableBadge(item())).toBeNull();
    expect(unavailableReason(item({ availability: 'not_yet', valid_from: '2027-01-01' }))).toBe(
      `Pas encore valable (à partir du 1er${NB}janvier${NB}2027)`,
    );
  });
});
