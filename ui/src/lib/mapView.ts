// The Communes map's pure logic: the view box as the user pans and zooms (the paths are
// drawn once; only the SVG's `viewBox` attribute changes, so a frame repaints and never
// re-renders), the stages' classes and wording (the back-office's Carte says the same:
// `preau_reference::stage`), the list's filter and the arrow keys' next commune.

import type { MapCommune, Stage } from '../api';
import { fold } from './workflow';

export interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The closest a user may zoom in: a twentieth of the département's width. */
export const MAX_ZOOM = 20;

export function fullView(width: number, height: number): ViewBox {
  return { x: 0, y: 0, w: width, h: height };
}

export function viewBoxAttr(v: ViewBox): string {
  const r = (n: number) => Math.round(n * 100) / 100;
  return `${r(v.x)} ${r(v.y)} ${r(v.w)} ${r(v.h)}`;
}

/** How many map units one screen pixel is, with `preserveAspectRatio="xMidYMid meet"`. */
export function unitsPerPixel(v: ViewBox, screenW: number, screenH: number): number {
  if (screenW <= 0 || screenH <= 0) return 1;
  return Math.max(v.w / screenW, v.h / screenH);
}

/** The map point under a pixel of the element (`px`, `py` from its top-left corner). */
export function toMap(v: ViewBox, screenW: number, screenH: number, px: number, py: number): [number, number] {
  const k = unitsPerPixel(v, screenW, screenH);
  // `meet` centres the view box: the spare room is split on both sides.
  const offsetX = (screenW * k - v.w) / 2;
  const offsetY = (screenH * k - v.h) / 2;
  return [v.x - offsetX + px * k, v.y - offsetY + py * k];
}

/**
 * Zooms by `factor` (> 1 closer) keeping the map point (`cx`, `cy`) where it is on screen,
 * between the whole département (`full`) and `MAX_ZOOM` times closer.
 */
export function zoomAt(v: ViewBox, factor: number, cx: number, cy: number, full: ViewBox): ViewBox {
  if (!(factor > 0) || !Number.isFinite(factor)) return v;
  const minW = full.w / MAX_ZOOM;
  const w = Math.min(full.w, Math.max(minW, v.w / factor));
  const k = w / v.w;
  const next = { x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k, w, h: v.h * k };
  return clamp(next, full);
}

/** Moves the view by a drag of (`dx`, `dy`) screen pixels: the map follows the pointer. */
export function panBy(v: ViewBox, dx: number, dy: number, unitsPerPx: number, full: ViewBox): ViewBox {
  return clamp({ ...v, x: v.x - dx * unitsPerPx, y: v.y - dy * unitsPerPx }, full);
}

/** Keeps the view's centre over the département, so the map cannot be lost off screen. */
export function clamp(v: ViewBox, full: ViewBox): ViewBox {
  const cx = Math.min(full.x + full.w, Math.max(full.x, v.x + v.w / 2));
  const cy = Math.min(full.y + full.h, Math.max(full.y, v.y + v.h / 2));
  return { x: cx - v.w / 2, y: cy - v.h / 2, w: v.w, h: v.h };
}

/** Whether the view shows the whole département (the « Vue d’ensemble » button is then off). */
export function isFull(v: ViewBox, full: ViewBox): boolean {
  return Math.abs(v.w - full.w) < 0.5 && Math.abs(v.x - full.x) < 0.5 && Math.abs(v.y - full.y) < 0.5;
}

/** The stages, most advanced first: the legend's and the list's order. */
export const STAGES: Stage[] = ['accepted', 'issued', 'visited', 'member', 'not_member'];

const LABELS: Record<Stage, string> = {
  not_member: 'Hors syndicat',
  member: 'Adhérente, pas encore visitée',
  visited: 'Visitée',
  issued: 'Proposition émise',
  accepted: 'Proposition acceptée',
};

const CLASSES: Record<Stage, string> = {
  not_member: 'hors',
  member: 'adherente',
  visited: 'visitee',
  issued: 'emise',
  accepted: 'acceptee',
};

export function stageLabel(stage: Stage): string {
  return LABELS[stage];
}

/** The CSS class of a commune's path, swatch and list cell (as in the back-office). */
export function stageClass(stage: Stage): string {
  return CLASSES[stage];
}

export function stageCounts(communes: MapCommune[]): Record<Stage, number> {
  const counts: Record<Stage, number> = { not_member: 0, member: 0, visited: 0, issued: 0, accepted: 0 };
  for (const c of communes) counts[c.stage] += 1;
  return counts;
}

/**
 * The list: communes whose name or EPCI holds the query (accents and case ignored) and,
 * when one is chosen, in that stage; the most advanced first, then by name.
 */
export function filterCommunes(communes: MapCommune[], query: string, stage: Stage | null): MapCommune[] {
  const q = fold(query.trim());
  const rank = (s: Stage) => STAGES.indexOf(s);
  return communes
    .filter((c) => stage === null || c.stage === stage)
    .filter((c) => q === '' || fold(c.name).includes(q) || fold(c.epci ?? '').includes(q) || c.insee.startsWith(q))
    .map((c) => ({ c, key: fold(c.name) }))
    .sort((a, b) => rank(a.c.stage) - rank(b.c.stage) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ c }) => c);
}

export type Direction = 'left' | 'right' | 'up' | 'down';

const ARROWS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
};

export function arrowDirection(key: string): Direction | null {
  return ARROWS[key] ?? null;
}

/**
 * The commune the arrow key goes to from `from`: the nearest centre in that direction,
 * counting a step sideways twice as far as a step ahead (so → stays on its row). `null`
 * at the edge.
 */
export function nextCommune(communes: MapCommune[], from: MapCommune, direction: Direction): MapCommune | null {
  const [fx, fy] = from.centre;
  let best: MapCommune | null = null;
  let bestScore = Infinity;
  for (const c of communes) {
    if (c.insee === from.insee) continue;
    const dx = c.centre[0] - fx;
    const dy = c.centre[1] - fy;
    const ahead = direction === 'left' ? -dx : direction === 'right' ? dx : direction === 'up' ? -dy : dy;
    const aside = direction === 'left' || direction === 'right' ? Math.abs(dy) : Math.abs(dx);
    if (ahead <= 0) continue;
    const score = ahead + 2 * aside;
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

/**
 * A name to write on a map centred on `x`, `y` (`dominant-baseline: middle`), `size` units
 * high and `width` units wide (as the window's font draws it: `NeighbourMap` measures it).
 */
export interface MapLabel {
  key: string;
  name: string;
  x: number;
  y: number;
  size: number;
  width: number;
}

/** Where a label is written; `shown` false when every place near its commune was taken. */
export interface PlacedLabel extends MapLabel {
  shown: boolean;
}

/** A line of text's box is about 1.2 of its size high (ascent and descent). */
const LINE = 1.2;

/** The box `l` covers when written at `y`: left, top, right, bottom. */
export function labelBox(l: MapLabel, y: number): [number, number, number, number] {
  return [l.x - l.width / 2, y - (LINE / 2) * l.size, l.x + l.width / 2, y + (LINE / 2) * l.size];
}

function overlaps(a: readonly number[], b: readonly number[]): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/**
 * The names of a commune's sheet written without overlapping (issue 14: neighbours' names
 * ran into each other): in the order given (the commune itself first), each at its
 * commune's centre, else a line above or below, else two; a name with no free place is
 * left out of the drawing (the list beside the map names every neighbour).
 */
export function placeLabels(labels: readonly MapLabel[]): PlacedLabel[] {
  const taken: [number, number, number, number][] = [];
  return labels.map((l) => {
    for (const shift of [0, -LINE, LINE, -2 * LINE, 2 * LINE]) {
      const y = l.y + shift * l.size;
      const box = labelBox(l, y);
      if (taken.some((t) => overlaps(t, box))) continue;
      taken.push(box);
      return { ...l, y, shown: true };
    }
    return { ...l, shown: false };
  });
}
