// The letterhead's accent colour (Réglages), applied to the app: `--navy` and the shades
// derived from it in app.css. The core checks the colour (#rrggbb, dark enough for white
// text on it); here it is only mixed. No DOM needed: the target is passed in.

/** Where the variables go: `document.documentElement.style` in the app. */
export interface StyleTarget {
  setProperty(name: string, value: string): void;
}

type Rgb = [number, number, number];

function parse(hex: string): Rgb | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : null;
}

function mix(a: Rgb, b: Rgb, share: number): string {
  const c = a.map((v, i) => Math.round(v * (1 - share) + b[i] * share));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The app's accent variables for a colour: itself, two darker shades (hover, headings) and a
 * light tint (selected rows), in the proportions of the default navy's. Null for a value
 * that is not `#rrggbb` (the app then keeps its own colours).
 */
export function accentPalette(hex: string): Record<string, string> | null {
  const c = parse(hex);
  if (!c) return null;
  const black: Rgb = [0, 0, 0];
  const white: Rgb = [255, 255, 255];
  return {
    '--navy': mix(c, c, 0),
    '--navy-dark': mix(c, black, 0.26),
    '--navy-darker': mix(c, black, 0.4),
    '--navy-tint': mix(c, white, 0.9),
  };
}

/** Sets the accent variables on `target`; returns whether the colour was applied. */
export function applyAccent(hex: string, target: StyleTarget): boolean {
  const palette = accentPalette(hex);
  if (!palette) return false;
  for (const [name, value] of Object.entries(palette)) target.setProperty(name, value);
  return true;
}
