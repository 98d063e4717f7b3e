//! French typography for text made by the core (explanations, CLI, PDF): "12 345,67 €",
//! "16,404 %", "29 novembre 2026". Thousands are separated by a narrow no-break space
//! (U+202F), and a no-break space (U+00A0) stands before "€" and "%".

use chrono::{Datelike, NaiveDate};

pub const NNBSP: char = '\u{202f}';
pub const NBSP: char = '\u{a0}';

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NNBSP);
        }
        out.push(c);
    }
    out
}

/// "12 345,67 €" from cents; negative amounts get a minus sign.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "−" } else { "" };
    let abs = cents.unsigned_abs();
    format!(
        "{sign}{},{:02}{NBSP}€",
        group_thousands(abs / 100),
        abs % 100
    )
}

/// "16,404 %" from parts per million (164 040), without trailing zeros: "20 %", "12,5 %".
pub fn percent(ppm: u32) -> String {
    let units = ppm / 10_000;
    let frac = ppm % 10_000;
    let mut s = group_thousands(u64::from(units));
    if frac != 0 {
        let f = format!("{frac:04}");
        s.push(',');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push(NBSP);
    s.push('%');
    s
}

/// "1 234 567".
pub fn integer(n: u64) -> String {
    group_thousands(n)
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// French typography for a text the program writes: the typographic apostrophe after a
/// letter (« l'école » → « l’école », « aujourd'hui »); any other straight quote is left
/// as it is (a quoted value, a code).
pub fn apostrophes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut previous: Option<char> = None;
    for c in text.chars() {
        out.push(if c == '\'' && previous.is_some_and(char::is_alphabetic) {
            '’'
        } else {
            c
        });
        previous = Some(c);
    }
    out
}

/// "29 novembre 2026", "1er décembre 2026".
pub fn date(d: NaiveDate) -> String {
    let day = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    format!("{day} {month} {}", d.year())
}

#[cfg(test)]
mod tests {
    #[test]
    fn apostrophes_after_a_letter_are_typographic() {
        use super::apostrophes;
        assert_eq!(
            apostrophes("l'école n'a pas d'élèves"),
            "l’école n’a pas d’élèves"
        );
        assert_eq!(apostrophes("Aujourd'hui"), "Aujourd’hui");
        assert_eq!(
            apostrophes("la valeur 'abc' et ' seul"),
            "la valeur 'abc’ et ' seul"
        );
        assert_eq!(apostrophes("déjà l’école"), "déjà l’école");
        assert_eq!(apostrophes(""), "");
    }

    use super::*;

    #[test]
    fn french_amounts() {
        let cases = [
            (0, "0,00\u{a0}€"),
            (5, "0,05\u{a0}€"),
            (1_234_567, "12\u{202f}345,67\u{a0}€"),
            (100_000_000, "1\u{202f}000\u{202f}000,00\u{a0}€"),
            (99_999, "999,99\u{a0}€"),
            (-150, "−1,50\u{a0}€"),
        ];
        for (cents, want) in cases {
            assert_eq!(euros(cents), want, "{cents}");
        }
    }

    #[test]
    fn french_percentages_and_dates() {
        for (ppm, want) in [
            (200_000, "20\u{a0}%"),
            (125_000, "12,5\u{a0}%"),
            (164_040, "16,404\u{a0}%"),
            (700, "0,07\u{a0}%"),
            (0, "0\u{a0}%"),
        ] {
            assert_eq!(percent(ppm), want);
        }
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(date(d(2026, 11, 29)), "29 novembre 2026");
        assert_eq!(date(d(2026, 12, 1)), "1er décembre 2026");
        assert_eq!(date(d(2027, 8, 15)), "15 août 2027");
        assert_eq!(integer(1234567), "1\u{202f}234\u{202f}567");
    }
}
