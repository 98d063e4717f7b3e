//! Money is integer cents, always. Parsing from the decimal strings found in CSV files.

/// Parses a non-negative amount in euros ("1600", "12,5", "12.50", "1 234,56") to cents.
/// Refuses more than two decimals, signs and anything that is not a number.
pub fn parse_euros(s: &str) -> Option<i64> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let (units, frac) = match cleaned.split_once([',', '.']) {
        Some((u, f)) => (u, f),
        None => (cleaned.as_str(), ""),
    };
    if units.is_empty() || frac.len() > 2 {
        return None;
    }
    if !units.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let frac_cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    units.checked_mul(100)?.checked_add(frac_cents)
}

#[cfg(test)]
mod tests {
    use super::parse_euros;

    #[test]
    fn parses_euro_strings_to_cents() {
        let cases: [(&str, Option<i64>); 11] = [
            ("1600", Some(160_000)),
            ("12,5", Some(1_250)),
            ("12.50", Some(1_250)),
            ("1 234,56", Some(123_456)),
            ("0", Some(0)),
            ("", None),
            ("-3", None),
            ("1,234", None),
            ("abc", None),
            (",5", None),
            ("99999999999999999999", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_euros(input), want, "parse_euros({input:?})");
        }
    }
}
