//! What the CSV files Préau reads have in common: they come from spreadsheets and portals,
//! with whatever separator the export chose.

/// The separator of the header line: the most frequent of `;`, `,` and tab outside quotes
/// (`;` when there is none, so a one-column file gets the "missing columns" message).
pub(crate) fn separator(text: &str) -> u8 {
    let header = first_record_text(text);
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header.bytes() {
        match b {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            _ => {
                if let Some(c) = counts.iter_mut().find(|(sep, _)| *sep == b) {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .copied()
        .fold((b';', 0), |best, c| if c.1 > best.1 { c } else { best })
        .0
}

/// The header line (headers hold no line break).
fn first_record_text(text: &str) -> &str {
    text.split(['\n', '\r']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_found_outside_quotes() {
        assert_eq!(separator("a;b;c\r\n"), b';');
        assert_eq!(separator("a,b,c\n1;2"), b',');
        assert_eq!(separator("\"a;b\",c,d\n"), b',');
        assert_eq!(separator("a\tb\tc"), b'\t');
        assert_eq!(separator("nom"), b';');
    }
}
