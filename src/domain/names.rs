//! Person names as registrars search them: case- and accent-insensitive ("mull" finds "Müller").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The search key of a name: decomposed (NFKD), accents dropped, lower case, letters and digits
/// only ("O'Brien-Smith" → "obriensmith", "José" → "jose", "Müller" → "muller").
pub fn search_key(name: &str) -> String {
    name.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ß' { 's' } else { c })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::search_key;

    #[test]
    fn keys_ignore_case_accents_and_punctuation() {
        assert_eq!(search_key("Müller"), "muller");
        assert_eq!(search_key("JOSÉ"), "jose");
        assert_eq!(search_key("O'Brien-Smith"), "obriensmith");
        assert_eq!(search_key("  Nguyễn "), "nguyen");
        assert_eq!(search_key("Øster"), "øster");
        assert_eq!(search_key(""), "");
    }
}
