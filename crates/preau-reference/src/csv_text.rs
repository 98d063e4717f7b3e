//! What the CSV files Préau reads have in common: they come from spreadsheets and portals,
//! with whatever encoding and separator the export chose, and their line numbers must be
//! the ones an editor shows.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// The national file is about 40 MB; anything far bigger is not the directory.
const MAX_BYTES: usize = 200 * 1024 * 1024;

/// The file's text: UTF-8 (BOM or not), UTF-16 with a BOM, or else Windows-1252, the
/// encoding of a CSV re-saved by Excel on Windows. Windows-1252 gives a character for every
/// byte, so a file that is in neither will show odd letters, never fail here. A refusal is
/// one row at line 1 (the file as a whole).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::rejected_at(
            1,
            format!(
                "fichier trop gros ({} Mo ; l'annuaire national en fait environ 40)",
                bytes.len() / (1024 * 1024)
            ),
        ));
    }
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(Error::rejected_at(
                1,
                format!("le fichier n'est pas lisible en {}", encoding.name()),
            ));
        }
        return Ok(text);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0),
    }
}

/// The line a record starts on, counting lines as an editor does (CRLF is one break), for
/// positions met in increasing order (the csv crate's byte offsets).
pub(crate) struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    /// Counting from the start of `text`, which is line 1.
    pub(crate) fn new(text: &'t [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    pub(crate) fn line_at(&mut self, byte: u64) -> u64 {
        let target = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if target >= self.offset {
            // `\r\n` and a lone `\n` end a line; a lone `\r` (old Mac files) too.
            let chunk = &self.text[self.offset..target];
            let mut prev_cr = self.offset > 0 && self.text[self.offset - 1] == b'\r';
            for &b in chunk {
                match b {
                    b'\n' if prev_cr => {}
                    b'\n' | b'\r' => self.line += 1,
                    _ => {}
                }
                prev_cr = b == b'\r';
            }
            self.offset = target;
        }
        self.line
    }
}

/// The separator of the header line: the most frequent of `;`, `,` and tab outside quotes
/// (`;` when there is none, so a one-column file gets the "missing columns" message).
pub fn separator(text: &str) -> u8 {
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

    #[test]
    fn windows_1252_and_utf16_are_decoded() {
        // "École" in Windows-1252: É is 0xC9.
        assert_eq!(decode(b"\xc9cole").expect("1252"), "École");
        assert_eq!(decode("\u{feff}École".as_bytes()).expect("bom"), "École");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("École".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).expect("utf-16"), "École");
    }

    #[test]
    fn lines_count_crlf_lf_and_cr_as_one_break_each() {
        let text = b"h\r\na\r\nb\nc\rd";
        let mut l = LineCounter::new(text);
        assert_eq!(l.line_at(3), 2); // after "h\r\n"
        assert_eq!(l.line_at(6), 3);
        assert_eq!(l.line_at(8), 4);
        assert_eq!(l.line_at(10), 5);
        // Stopping between \r and \n does not count the pair twice.
        let mut l = LineCounter::new(text);
        assert_eq!(l.line_at(2), 2);
        assert_eq!(l.line_at(3), 2);
    }
}
