//! The letterhead's accent colour: headings, rules and the commune's share in the PDF, the
//! app's accent. Written `#rrggbb`; dark enough for white text on it, for text in it on
//! white paper and on the app's light tint of it (10 % of it, 90 % white), so every place
//! it is used stays legible.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// An sRGB colour printed as the letterhead's accent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Accent {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

/// The syndicate's blue, the accent of every document before it was a setting.
pub const DEFAULT_ACCENT: Accent = Accent {
    r: 0x1d,
    g: 0x4e,
    b: 0x89,
};

/// 5.5:1 on white keeps WCAG AA's 4.5:1 for text in the colour on its own 90 % tint
/// (`ui/src/lib/accent.ts`; checked over the whole sRGB cube when this was chosen: 4.6 at worst).
const MIN_CONTRAST_ON_WHITE: f64 = 5.5;

impl Default for Accent {
    fn default() -> Self {
        DEFAULT_ACCENT
    }
}

impl Accent {
    pub fn is_default(&self) -> bool {
        *self == DEFAULT_ACCENT
    }

    /// WCAG 2.1 contrast ratio of this colour against white, from 1 to 21.
    pub fn contrast_on_white(&self) -> f64 {
        fn linear(c: u8) -> f64 {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        let l = 0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b);
        1.05 / (l + 0.05)
    }

    /// Reads `#rrggbb` (either case, surrounding spaces ignored); an error in French says
    /// what to type.
    pub fn parse(text: &str) -> Result<Accent, Error> {
        let t = text.trim();
        let hex = t
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                Error::invalid(
                    "accent",
                    "La couleur s’écrit #rrggbb en hexadécimal, par exemple #1d4e89.",
                )
            })?;
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        let accent = Accent {
            r: byte(0),
            g: byte(2),
            b: byte(4),
        };
        if accent.contrast_on_white() < MIN_CONTRAST_ON_WHITE {
            return Err(Error::invalid(
                "accent",
                "Cette couleur est trop claire : les titres sur papier blanc et le texte blanc \
                 sur les boutons ne se liraient pas. Choisissez une teinte plus foncée.",
            ));
        }
        Ok(accent)
    }
}

impl fmt::Display for Accent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

impl FromStr for Accent {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Accent::parse(s)
    }
}

impl Serialize for Accent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Accent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Accent::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_and_writes_hex() {
        assert_eq!(Accent::parse(" #1D4E89 ").ok(), Some(DEFAULT_ACCENT));
        assert_eq!(DEFAULT_ACCENT.to_string(), "#1d4e89");
        for bad in [
            "",
            "1d4e89",
            "#1d4e8",
            "#1d4e899",
            "#1g4e89",
            "#１d4e89",
            "red",
        ] {
            let e = Accent::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("#rrggbb"), "{bad}: {e}");
        }
        let e = Accent::parse("#f6c343").expect_err("the app's yellow is too light");
        assert!(e.to_string().contains("trop claire"), "{e}");
        assert!(Accent::parse("#000000").is_ok());
    }

    proptest! {
        #[test]
        fn every_accepted_colour_round_trips_and_reads_on_white(r: u8, g: u8, b: u8) {
            let text = format!("#{r:02x}{g:02x}{b:02x}");
            match Accent::parse(&text) {
                Ok(a) => {
                    prop_assert_eq!(a.to_string(), text.clone());
                    prop_assert_eq!(Accent::parse(&text.to_uppercase()).ok(), Some(a));
                    prop_assert!(a.contrast_on_white() >= MIN_CONTRAST_ON_WHITE);
                    let json = serde_json::to_string(&a).unwrap_or_default();
                    prop_assert_eq!(serde_json::from_str::<Accent>(&json).ok(), Some(a));
                }
                Err(e) => prop_assert!(e.to_string().contains("trop claire")),
            }
        }

        #[test]
        fn anything_else_is_refused_without_panicking(text in "\\PC{0,12}") {
            let ok = Accent::parse(&text).is_ok();
            let t = text.trim();
            prop_assert!(!ok || (t.len() == 7 && t.starts_with('#')));
        }
    }
}
