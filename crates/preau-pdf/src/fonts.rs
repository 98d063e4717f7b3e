//! The two embedded faces (DejaVu Sans, regular and bold; licence in `fonts/`) and text
//! measurement from their advance widths, so that amounts can be right-aligned and long
//! texts wrapped.

use std::sync::OnceLock;

use printpdf::ParsedFont;

use crate::Error;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
}

pub(crate) struct Fonts {
    pub regular: ParsedFont,
    pub bold: ParsedFont,
}

static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();

/// Parsed once per process: parsing a face costs more than rendering a page.
pub(crate) fn fonts() -> Result<&'static Fonts, Error> {
    FONTS
        .get_or_init(|| {
            let parse = |bytes: &[u8], name: &str| {
                ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
                    .ok_or_else(|| format!("embedded font {name} does not parse"))
            };
            Ok(Fonts {
                regular: parse(REGULAR, "DejaVuSans")?,
                bold: parse(BOLD, "DejaVuSans-Bold")?,
            })
        })
        .as_ref()
        .map_err(|e| Error::Font(e.clone()))
}

/// French typography: the apostrophe is ’, whatever was typed. Drawing and measuring
/// both go through this.
pub(crate) fn typographic(c: char) -> char {
    if c == '\'' {
        '\u{2019}'
    } else {
        c
    }
}

impl Fonts {
    pub fn face(&self, face: Face) -> &ParsedFont {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// Width of `text` in points at `size`.
    pub fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        let font = self.face(face);
        let upem = f32::from(font.pdf_font_metrics.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(typographic)
            .map(|c| {
                font.lookup_glyph_index(u32::from(c))
                    .map(|g| u32::from(font.get_horizontal_advance(g)))
                    .unwrap_or(0)
            })
            .sum();
        units as f32 * size / upem
    }

    /// Splits `text` into lines no wider than `width`: at spaces (never at the no-break
    /// spaces inside amounts), at explicit newlines, and inside a word only when the word
    /// alone is wider than the line.
    pub fn wrap(&self, face: Face, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(face, &candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if self.width(face, word, size) <= width {
                    line = word.to_string();
                } else {
                    for c in word.chars() {
                        let mut next = line.clone();
                        next.push(c);
                        if !line.is_empty() && self.width(face, &next, size) > width {
                            lines.push(std::mem::take(&mut line));
                            line.push(c);
                        } else {
                            line = next;
                        }
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_french_character_has_a_glyph() {
        let f = fonts().expect("fonts");
        for c in "éèêëàâäçîïôöûüùÿœæÉÈÊÀÂÇÎÔÛŒÆ«»€’–—…\u{a0}\u{202f}".chars()
        {
            for face in [Face::Regular, Face::Bold] {
                assert!(
                    f.face(face).lookup_glyph_index(u32::from(c)).is_some(),
                    "{c:?} in {face:?}"
                );
            }
        }
    }

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let f = fonts().expect("fonts");
        let text = "Écran numérique interactif 65\" 4K, Android intégré, tactile 20 points \
                    avec support mural motorisé et installation comprise";
        let cases = [(60.0, 8.0), (120.0, 8.0), (300.0, 9.0), (1000.0, 9.0)];
        for (width, size) in cases {
            let lines = f.wrap(Face::Regular, text, size, width);
            assert_eq!(lines.join(" "), text, "width {width}");
            for l in &lines {
                assert!(
                    f.width(Face::Regular, l, size) <= width,
                    "{l:?} wider than {width}"
                );
            }
        }
        // One word wider than the line is cut, not lost.
        let long = "Anticonstitutionnellement";
        let lines = f.wrap(Face::Bold, long, 10.0, 40.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), long);
        // Amounts never break at their no-break spaces.
        let amount = "12\u{202f}345,67\u{a0}€";
        let width = f.width(Face::Regular, amount, 9.0) + 1.0;
        let lines = f.wrap(Face::Regular, &format!("Total {amount}"), 9.0, width);
        assert_eq!(lines, vec!["Total".to_string(), amount.to_string()]);
    }
}
