//! Names other devices give themselves, made safe to store and show: no
//! control or invisible format characters, bounded length. A leaf module:
//! pairing, nearby discovery, collections and settings all use it.

/// The longest device name kept, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 64;

/// Whether a character is an invisible format character (Unicode general
/// category Cf): bidirectional controls such as U+202E, which make a name
/// read backwards, zero-width spaces and joiners, soft hyphens. None of them
/// belongs in a name shown to decide whom to trust.
pub(crate) fn is_format_char(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

/// A name without control or format characters, runs of white space made
/// one space, trimmed, at most [`MAX_NAME_CHARS`] characters; empty if
/// nothing visible is left.
pub(crate) fn strip_name(name: &str) -> String {
    name.chars()
        .filter(|c| !is_format_char(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        // The cut can leave a space at the end.
        .trim_end()
        .to_string()
}

/// A name from another device, made safe to store and show (see
/// `strip_name`); a name with nothing visible becomes "unnamed device".
pub(crate) fn clean_name(name: &str) -> String {
    let cleaned = strip_name(name);
    if cleaned.is_empty() {
        "unnamed device".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_from_peers_are_cleaned() {
        assert_eq!(clean_name("  Ada's\tphone \u{1b}[31m "), "Ada's phone [31m");
        assert_eq!(clean_name("\n\r"), "unnamed device");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn a_name_cut_to_length_is_clean_again() {
        // Given a name whose 65th character follows a space (found by fuzzing).
        let long = format!("{} tail", "x".repeat(MAX_NAME_CHARS - 1));
        // Then the cut name does not end in that space, and cleans to itself.
        let name = clean_name(&long);
        assert_eq!(name, "x".repeat(MAX_NAME_CHARS - 1));
        assert_eq!(clean_name(&name), name);
    }

    #[test]
    fn invisible_format_characters_are_removed_from_names() {
        // Given names with bidi overrides, isolates, zero-width characters,
        // a byte-order mark and a soft hyphen.
        let cases = [
            ("Laptop\u{202e}txt.exe", "Laptoptxt.exe"),
            ("\u{2066}Ada\u{2069}'s \u{200b}phone\u{feff}", "Ada's phone"),
            ("Lap\u{00ad}top\u{200d}", "Laptop"),
            ("\u{202e}\u{200f}", "unnamed device"),
        ];
        for (given, shown) in cases {
            // Then nothing invisible is left.
            assert_eq!(clean_name(given), shown, "{given:?}");
            assert!(!clean_name(given).chars().any(is_format_char));
        }
        assert!(is_format_char('\u{202e}') && is_format_char('\u{e0001}'));
        assert!(!is_format_char('a') && !is_format_char('ö') && !is_format_char('😀'));
    }
}
