import { describe, expect, it } from 'vitest';
import { rovingMove, rovingStop, rowKey, sectionKey, sectionTarget } from './keys';

const key = (k: string, mods: Partial<Record<'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey', boolean>> = {}) => ({
  key: k,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('rovingMove', () => {
  it('moves with the arrows, wrapping around, and jumps with Début and Fin', () => {
    expect(rovingMove('ArrowDown', 0, 3)).toBe(1);
    expect(rovingMove('ArrowRight', 2, 3)).toBe(0);
    expect(rovingMove('ArrowUp', 0, 3)).toBe(2);
    expect(rovingMove('ArrowLeft', 1, 3)).toBe(0);
    expect(rovingMove('Home', 2, 3)).toBe(0);
    expect(rovingMove('End', 0, 3)).toBe(2);
  });

  it('leaves every other key alone, and an empty group', () => {
    expect(rovingMove(' ', 0, 3)).toBeNull();
    expect(rovingMove('Tab', 0, 3)).toBeNull();
    expect(rovingMove('ArrowDown', 0, 0)).toBeNull();
  });

  it('stays inside the group whatever the moves', () => {
    for (let count = 1; count < 6; count += 1) {
      for (let from = 0; from < count; from += 1) {
        for (const k of ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'Home', 'End']) {
          const to = rovingMove(k, from, count) as number;
          expect(to).toBeGreaterThanOrEqual(0);
          expect(to).toBeLessThan(count);
        }
      }
    }
  });
});

describe('rovingStop', () => {
  const boxes = (...checked: boolean[]) => checked.map((c) => ({ checked: c }));

  it('keeps the item last focused', () => {
    expect(rovingStop(boxes(false, true, false), { index: 2, present: true })).toBe(2);
  });

  it('takes the item now at the place of one that went, or the last one', () => {
    expect(rovingStop(boxes(false, false), { index: 1, present: false })).toBe(1);
    expect(rovingStop(boxes(false, false), { index: 5, present: false })).toBe(1);
  });

  it('starts on the first ticked item, else the first', () => {
    expect(rovingStop(boxes(false, true, true), null)).toBe(1);
    expect(rovingStop(boxes(false, false), null)).toBe(0);
    expect(rovingStop([], null)).toBe(-1);
  });
});

describe('rowKey', () => {
  it('Alt+Suppr deletes the row, from any control of it', () => {
    expect(rowKey(key('Delete', { altKey: true }), true)).toBe('delete');
    expect(rowKey(key('Delete', { altKey: true }), false)).toBe('delete');
  });

  it('Suppr alone and Ctrl+Suppr stay the text field’s', () => {
    expect(rowKey(key('Delete'), true)).toBeNull();
    expect(rowKey(key('Delete', { altKey: true, ctrlKey: true }), true)).toBeNull();
    expect(rowKey(key('Delete', { ctrlKey: true }), true)).toBeNull();
  });

  it('Entrée counts in a text field or a check box only, without modifiers', () => {
    expect(rowKey(key('Enter'), true)).toBe('enter');
    expect(rowKey(key('Enter'), false)).toBeNull(); // a button, a select, a text area
    expect(rowKey(key('Enter', { shiftKey: true }), true)).toBeNull();
    expect(rowKey(key('Enter', { ctrlKey: true }), true)).toBeNull();
  });
});

describe('every row’s « Supprimer » is Alt+Suppr, off the tab order', () => {
  it('each delete button of a row has tabindex -1 and Alt+Delete, and its row takes the key', () => {
    const sources = import.meta.glob('../**/*.svelte', { query: '?raw', import: 'default', eager: true }) as Record<
      string,
      string
    >;
    const ROW_DELETES = ['participant-delete', 'class-delete', 'line-delete', 'objective-remove'];
    const found: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      for (const testid of ROW_DELETES) {
        const at = text.indexOf(`data-testid="${testid}"`);
        if (at < 0) continue;
        // The button's attributes, from « <button » to its test id (handlers hold « => »).
        const tag = text.slice(text.lastIndexOf('<button', at), at);
        found.push(testid);
        expect(tag, `${file}: ${testid}`).toContain('tabindex="-1"');
        expect(tag, `${file}: ${testid}`).toContain('aria-keyshortcuts="Alt+Delete"');
        expect(text, `${file}: the row of ${testid}`).toMatch(/use:rowKeys=\{\{ ondelete:/);
      }
    }
    expect(found.sort()).toEqual([...ROW_DELETES].sort());
  });
});

describe('sectionKey and sectionTarget', () => {
  it('Alt+Page suivante goes to the next school, Alt+Page précédente to the previous', () => {
    expect(sectionKey(key('PageDown', { altKey: true }))).toBe('next');
    expect(sectionKey(key('PageUp', { altKey: true }))).toBe('previous');
    expect(sectionTarget('next', 0, 2)).toBe(1);
    expect(sectionTarget('previous', 1, 2)).toBe(0);
  });

  it('leaves Page suivante alone without Alt, or with another modifier (the page scrolls)', () => {
    expect(sectionKey(key('PageDown'))).toBeNull();
    expect(sectionKey(key('PageDown', { altKey: true, shiftKey: true }))).toBeNull();
    expect(sectionKey(key('PageUp', { altKey: true, ctrlKey: true }))).toBeNull();
    expect(sectionKey(key('ArrowDown', { altKey: true }))).toBeNull();
  });

  it('stops at either end, and outside any section', () => {
    expect(sectionTarget('next', 1, 2)).toBeNull();
    expect(sectionTarget('previous', 0, 2)).toBeNull();
    expect(sectionTarget('next', -1, 2)).toBeNull();
    expect(sectionTarget(null, 0, 2)).toBeNull();
    for (let count = 0; count < 5; count += 1) {
      for (let from = -1; from <= count; from += 1) {
        for (const move of ['next', 'previous'] as const) {
          const to = sectionTarget(move, from, count);
          if (to !== null) expect(Math.abs(to - from)).toBe(1);
          if (to !== null) expect(to >= 0 && to < count).toBe(true);
        }
      }
    }
  });
});
