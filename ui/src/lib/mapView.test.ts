import { describe, expect, it } from 'vitest';
import type { MapCommune, Stage } from '../api';
import {
  arrowDirection,
  clamp,
  filterCommunes,
  fullView,
  isFull,
  MAX_ZOOM,
  nextCommune,
  labelBox,
  panBy,
  placeLabels,
  STAGES,
  stageClass,
  stageCounts,
  stageLabel,
  toMap,
  unitsPerPixel,
  viewBoxAttr,
  zoomAt,
} from './mapView';

const full = fullView(1000, 700);

const commune = (insee: string, name: string, stage: Stage, centre: number[], epci: string | null = null): MapCommune => ({
  insee,
  name,
  d: 'M0 0l1 0 0 1z',
  centre,
  epci,
  stage,
});

describe('zoom and pan', () => {
  it('zooms about the point under the pointer, which stays put', () => {
    const v = zoomAt(full, 2, 250, 350, full);
    expect(v.w).toBe(500);
    expect(v.h).toBe(350);
    // The point was a quarter across and half down; it still is.
    expect((250 - v.x) / v.w).toBeCloseTo(0.25);
    expect((350 - v.y) / v.h).toBeCloseTo(0.5);
  });

  it('never zooms out past the whole département nor in past MAX_ZOOM', () => {
    expect(zoomAt(full, 0.5, 500, 350, full)).toEqual(full);
    let v = full;
    for (let i = 0; i < 50; i++) v = zoomAt(v, 2, 500, 350, full);
    expect(v.w).toBeCloseTo(1000 / MAX_ZOOM);
    expect(v.w / v.h).toBeCloseTo(1000 / 700);
    expect(zoomAt(full, Number.NaN, 0, 0, full)).toBe(full);
    expect(zoomAt(full, -1, 0, 0, full)).toBe(full);
  });

  it('zooming in then out by the same factor comes back', () => {
    const v = zoomAt(zoomAt(full, 4, 600, 200, full), 0.25, 600, 200, full);
    expect(v.x).toBeCloseTo(0);
    expect(v.y).toBeCloseTo(0);
    expect(isFull(v, full)).toBe(true);
  });

  it('pans with the pointer and keeps the centre over the map', () => {
    const v = zoomAt(full, 4, 500, 350, full);
    const moved = panBy(v, 100, -50, 0.5, full);
    expect(moved.x).toBeCloseTo(v.x - 50);
    expect(moved.y).toBeCloseTo(v.y + 25);
    const far = panBy(v, 1e6, 1e6, 1, full);
    expect(far.x + far.w / 2).toBe(0);
    expect(far.y + far.h / 2).toBe(0);
    expect(clamp(v, full)).toEqual(v);
  });

  it('maps a pixel to the map with the view box centred (meet)', () => {
    // 1000 × 700 in an element 500 × 500: 2 units a pixel, 150 px of space above and below.
    expect(unitsPerPixel(full, 500, 500)).toBe(2);
    expect(toMap(full, 500, 500, 0, 75)).toEqual([0, 0]);
    expect(toMap(full, 500, 500, 250, 250)).toEqual([500, 350]);
    expect(unitsPerPixel(full, 0, 0)).toBe(1);
  });

  it('writes the attribute with two decimals at most', () => {
    expect(viewBoxAttr({ x: 1 / 3, y: 0, w: 1000, h: 700.126 })).toBe('0.33 0 1000 700.13');
  });
});

describe('stages', () => {
  it('reads as the back-office map: same wording and classes, most advanced first', () => {
    expect(STAGES.map(stageLabel)).toEqual([
      'Proposition acceptée',
      'Proposition émise',
      'Visitée',
      'Adhérente, pas encore visitée',
      'Hors syndicat',
    ]);
    expect(STAGES.map(stageClass)).toEqual(['acceptee', 'emise', 'visitee', 'adherente', 'hors']);
  });

  it('counts each stage', () => {
    const counts = stageCounts([
      commune('1', 'A', 'member', [0, 0]),
      commune('2', 'B', 'member', [0, 0]),
      commune('3', 'C', 'accepted', [0, 0]),
    ]);
    expect(counts).toEqual({ not_member: 0, member: 2, visited: 0, issued: 0, accepted: 1 });
  });
});

describe('filterCommunes', () => {
  const list = [
    commune('80021', 'Amiens', 'member', [0, 0], 'CA Amiens Métropole'),
    commune('80620', 'Péronne', 'accepted', [0, 0], 'CC de la Haute Somme'),
    commune('80240', 'Doingt', 'visited', [0, 0], 'CC de la Haute Somme'),
    commune('80001', 'Abbeville', 'member', [0, 0]),
  ];

  it('puts the most advanced first, then by name', () => {
    expect(filterCommunes(list, '', null).map((c) => c.name)).toEqual(['Péronne', 'Doingt', 'Abbeville', 'Amiens']);
  });

  it('matches names and EPCI without accents, and INSEE codes', () => {
    expect(filterCommunes(list, 'peron', null).map((c) => c.insee)).toEqual(['80620']);
    expect(filterCommunes(list, 'haute somme', null).map((c) => c.insee)).toEqual(['80620', '80240']);
    expect(filterCommunes(list, '8000', null).map((c) => c.insee)).toEqual(['80001']);
  });

  it('narrows to one stage', () => {
    expect(filterCommunes(list, '', 'member').map((c) => c.name)).toEqual(['Abbeville', 'Amiens']);
    expect(filterCommunes(list, 'amiens', 'visited')).toEqual([]);
  });
});

describe('arrow keys', () => {
  const grid = [
    commune('a', 'A', 'member', [0, 0]),
    commune('b', 'B', 'member', [10, 1]),
    commune('c', 'C', 'member', [20, 0]),
    commune('d', 'D', 'member', [3, 10]),
    commune('e', 'E', 'member', [12, 14]),
  ];

  it('goes to the nearest commune that way, staying on its row', () => {
    expect(nextCommune(grid, grid[0], 'right')?.insee).toBe('b');
    expect(nextCommune(grid, grid[1], 'right')?.insee).toBe('c');
    expect(nextCommune(grid, grid[0], 'down')?.insee).toBe('d');
    expect(nextCommune(grid, grid[4], 'up')?.insee).toBe('b');
    expect(nextCommune(grid, grid[1], 'left')?.insee).toBe('a');
  });

  it('stops at the edge', () => {
    expect(nextCommune(grid, grid[0], 'left')).toBeNull();
    expect(nextCommune(grid, grid[0], 'up')).toBeNull();
  });

  it('knows the arrows only', () => {
    expect(arrowDirection('ArrowLeft')).toBe('left');
    expect(arrowDirection('Enter')).toBeNull();
  });
});

describe('placeLabels', () => {
  const label = (key: string, name: string, x: number, y: number, size = 10) => ({ key, name, x, y, size, width: name.length * 0.6 * size });

  it('writes a lone name at its commune’s centre', () => {
    expect(placeLabels([label('a', 'Péronne', 50, 40)])).toEqual([{ ...label('a', 'Péronne', 50, 40), shown: true }]);
  });

  it('moves a name that would cross the one before a line up or down, never the first', () => {
    const [first, second] = placeLabels([label('a', 'Péronne', 50, 40), label('b', 'Doingt', 55, 42)]);
    expect(first).toMatchObject({ y: 40, shown: true });
    expect(second.shown).toBe(true);
    expect(Math.abs(second.y - 42)).toBeGreaterThanOrEqual(12);
  });

  it('leaves a name out when every place near its commune is taken', () => {
    const crowd = Array.from({ length: 8 }, (_, i) => label(String(i), 'Saint-Quentin-la-Motte', 50, 40));
    const placed = placeLabels(crowd);
    expect(placed.filter((p) => p.shown).length).toBe(5);
    expect(placed[0].shown).toBe(true);
  });

  it('never draws two names over each other, whatever the communes (generated)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let run = 0; run < 200; run += 1) {
      const labels = Array.from({ length: 1 + Math.floor(random() * 14) }, (_, i) =>
        label(String(i), 'x'.repeat(3 + Math.floor(random() * 20)), random() * 200, random() * 150, 4 + random() * 8),
      );
      const placed = placeLabels(labels);
      expect(placed.length).toBe(labels.length);
      expect(placed[0]).toMatchObject({ x: labels[0].x, y: labels[0].y, shown: true });
      const boxes = placed.filter((p) => p.shown).map((p) => labelBox(p, p.y));
      for (let i = 0; i < boxes.length; i += 1) {
        for (let j = i + 1; j < boxes.length; j += 1) {
          const [a, b] = [boxes[i], boxes[j]];
          expect(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]).toBe(false);
        }
      }
    }
  });
});
