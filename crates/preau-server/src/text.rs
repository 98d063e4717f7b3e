//! Text from clients shown to people: device names, paths, user agents go to a terminal
//! (`devices list`) or to the logs, where a raw escape sequence could rewrite the screen
//! or forge a line.

/// `text` with every control or bidirectional-formatting character escaped (`\u{1b}`),
/// cut to `max` characters (then ending with `…`).
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (i, c) in text.chars().enumerate() {
        if i >= max {
            out.push('…');
            break;
        }
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters (C0, DEL, C1) and the invisible characters that reorder or hide
/// text (bidirectional overrides and isolates, zero-width marks): refused in device
/// names, escaped when printed.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(printable("Portable d'Anne", 100), "Portable d'Anne");
        assert_eq!(printable("a\u{1b}[2Jb", 100), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\u{202e}y\0", 100), "x\\u{202e}y\\u{0}");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert!(is_unsafe('\u{85}') && is_unsafe('\u{7f}') && !is_unsafe('é'));
    }
}
