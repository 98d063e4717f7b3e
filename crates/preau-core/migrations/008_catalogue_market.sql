-- Schema 8 (issue 10): the syndicate's own catalogue. Each item carries the
-- group-purchase market its price comes from (reference, title, last day), its lot, the
-- supplier and the supplier's reference, and the days its price may be used for a new
-- line. All NULL for the demo catalogue. catalogue_items is reference data, not synced:
-- no trigger logs it.

ALTER TABLE catalogue_items ADD COLUMN supplier TEXT;
ALTER TABLE catalogue_items ADD COLUMN supplier_reference TEXT;
ALTER TABLE catalogue_items ADD COLUMN market_reference TEXT;
ALTER TABLE catalogue_items ADD COLUMN market_label TEXT;
ALTER TABLE catalogue_items ADD COLUMN market_ends_on TEXT;
ALTER TABLE catalogue_items ADD COLUMN lot TEXT;
ALTER TABLE catalogue_items ADD COLUMN lot_label TEXT;
ALTER TABLE catalogue_items ADD COLUMN valid_from TEXT;
ALTER TABLE catalogue_items ADD COLUMN valid_until TEXT;
