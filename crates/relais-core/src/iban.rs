//! Bank identifiers for SEPA direct debit: IBAN, BIC and the creditor identifier
//! ("ICS" in France), plus the text cleaning that SEPA files require.
//!
//! Everything here is checked the way the banks check it (length per country,
//! ISO 7064 mod-97), so a typo is caught on the mandate form, not weeks later as a
//! rejected collection.

use std::fmt;

/// Why an IBAN, BIC or creditor identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SepaError {
    /// Nothing was typed.
    #[error("the field is empty")]
    Empty,
    /// The first two letters are not a country of the SEPA scheme.
    #[error("{0} is not a country of the SEPA area")]
    UnknownCountry(String),
    /// The IBAN is too long or too short for its country.
    #[error("an IBAN from {country} has {expected} characters, this one has {found}")]
    WrongLength {
        /// The two-letter country code.
        country: String,
        /// The length every IBAN of that country has.
        expected: usize,
        /// The length of the typed IBAN, spaces removed.
        found: usize,
    },
    /// Something other than letters and digits, or digits where letters belong.
    #[error("the IBAN should contain only letters and digits, like FR76 3000 6000 0112 3456 7890 189")]
    BadCharacters,
    /// The check digits do not match: most often a typo.
    #[error("the IBAN check digits do not match: please check for a typo")]
    Checksum,
    /// Not an 8- or 11-character BIC.
    #[error("the BIC should have 8 or 11 characters, like BNPAFRPP or BNPAFRPPXXX")]
    BadBic,
    /// Not a well-formed SEPA creditor identifier.
    #[error("the creditor identifier (ICS) should look like FR72ZZZ123456")]
    BadCreditorId,
}

/// IBAN length of every country and territory with its own code in the SEPA scheme.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AL", 28),
    ("AT", 20),
    ("AX", 18),
    ("BE", 16),
    ("BG", 22),
    ("BL", 27),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GF", 27),
    ("GI", 23),
    ("GP", 27),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MF", 27),
    ("MK", 19),
    ("MQ", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PM", 27),
    ("PT", 25),
    ("RE", 27),
    ("RO", 24),
    ("RS", 22),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
    ("YT", 27),
];

/// Uppercases and drops the spaces people type to group the characters.
fn compact(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// ISO 7064 mod-97 of the characters, letters counting as 10 (A) to 35 (Z).
/// A running remainder keeps every intermediate value below 97 × 100.
fn mod97(chars: impl Iterator<Item = char>) -> Option<u32> {
    let mut rest = 0u32;
    for c in chars {
        let value = c.to_digit(36)?;
        let shifted = if value < 10 { rest * 10 } else { rest * 100 };
        rest = (shifted + value) % 97;
    }
    Some(rest)
}

/// An International Bank Account Number, stored compact and uppercase.
///
/// `Debug` shows only the masked form, so a stray `{:?}` in a log does not leak
/// the account.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);

impl Iban {
    /// Parses an IBAN typed with or without spaces, in any case.
    pub fn parse(input: &str) -> Result<Self, SepaError> {
        let iban = compact(input);
        if iban.is_empty() {
            return Err(SepaError::Empty);
        }
        if !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SepaError::BadCharacters);
        }
        let country = iban.get(..2).filter(|c| c.chars().all(|c| c.is_ascii_alphabetic()));
        let Some(country) = country else {
            return Err(SepaError::UnknownCountry(iban.chars().take(2).collect()));
        };
        let Some(&(_, expected)) = IBAN_LENGTHS.iter().find(|(code, _)| *code == country) else {
            return Err(SepaError::UnknownCountry(country.to_owned()));
        };
        if iban.len() != expected {
            return Err(SepaError::WrongLength {
                country: country.to_owned(),
                expected,
                found: iban.len(),
            });
        }
        if !iban[2..4].chars().all(|c| c.is_ascii_digit()) {
            return Err(SepaError::BadCharacters);
        }
        // The check moves the country and check digits to the end.
        if mod97(iban[4..].chars().chain(iban[..4].chars())) != Some(1) {
            return Err(SepaError::Checksum);
        }
        Ok(Self(iban))
    }

    /// The compact form, as written in SEPA files: `FR7630006000011234567890189`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter country code.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The form for pages and logs: the country and the last four characters,
    /// everything else as bullets (`FR•• •••• 0189`). The bullets do not reflect
    /// the real length, so the masked form tells nothing about the bank.
    pub fn masked(&self) -> String {
        format!("{}•• •••• {}", self.country(), &self.0[self.0.len() - 4..])
    }
}

impl fmt::Display for Iban {
    /// Groups of four, as printed on bank statements: `FR76 3000 6000 0112 3456 7890 189`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            // The IBAN is ASCII alphanumeric, so every chunk is a whole str.
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({})", self.masked())
    }
}

/// A Business Identifier Code (SWIFT code) of 8 or 11 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);

impl Bic {
    /// Parses a BIC typed with or without spaces, in any case. The location code
    /// follows the ISO 20022 pattern (first character not `0` or `1`, second not
    /// `O`), which is what banks validate SEPA files against.
    pub fn parse(input: &str) -> Result<Self, SepaError> {
        let bic = compact(input);
        if bic.is_empty() {
            return Err(SepaError::Empty);
        }
        let b = bic.as_bytes();
        let well_formed = matches!(b.len(), 8 | 11)
            && b[..6].iter().all(u8::is_ascii_uppercase)
            && (b[6].is_ascii_uppercase() || (b'2'..=b'9').contains(&b[6]))
            && (b[7].is_ascii_digit() || (b[7].is_ascii_uppercase() && b[7] != b'O'))
            && b[8..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !well_formed {
            return Err(SepaError::BadBic);
        }
        Ok(Self(bic))
    }

    /// The compact uppercase form: `BNPAFRPPXXX`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SEPA creditor identifier ("ICS" in France), e.g. `FR72ZZZ123456`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditorId(String);

impl CreditorId {
    /// Parses a creditor identifier: country, two check digits, a three-character
    /// business code (free, and left out of the check) and the national identifier.
    pub fn parse(input: &str) -> Result<Self, SepaError> {
        let id = compact(input);
        if id.is_empty() {
            return Err(SepaError::Empty);
        }
        let b = id.as_bytes();
        let well_formed = (8..=35).contains(&b.len())
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..4].iter().all(u8::is_ascii_digit)
            && b.iter().all(u8::is_ascii_alphanumeric);
        if !well_formed {
            return Err(SepaError::BadCreditorId);
        }
        if mod97(id[7..].chars().chain(id[..4].chars())) != Some(1) {
            return Err(SepaError::BadCreditorId);
        }
        Ok(Self(id))
    }

    /// The compact uppercase form, as written in SEPA files.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ASCII spelling of a letter outside the SEPA set, or `None` for a character
/// that has no letter equivalent.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ď' | 'đ' | 'ð' => "d",
        'Ď' | 'Đ' | 'Ð' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĥ' | 'ħ' => "h",
        'Ĥ' | 'Ħ' => "H",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ĵ' => "j",
        'Ĵ' => "J",
        'ķ' => "k",
        'Ķ' => "K",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ŵ' => "w",
        'Ŵ' => "W",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'æ' => "ae",
        'Æ' => "AE",
        'œ' => "oe",
        'Œ' => "OE",
        'ß' => "ss",
        'þ' => "th",
        'Þ' => "TH",
        _ => return None,
    })
}

/// Rewrites `input` with the characters SEPA files allow, in `allowed`, and
/// turns everything else into a space; spaces are then collapsed and trimmed.
fn clean(input: &str, allowed: fn(char) -> bool, substitute: fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        if allowed(c) {
            out.push(c);
        } else if let Some(ascii) = transliterate(c) {
            // "Œuvre" reads better as "Oeuvre" than "OEuvre".
            let before_lower = chars.peek().is_some_and(|next| next.is_lowercase());
            if ascii.len() == 2 && before_lower && c.is_uppercase() {
                out.push_str(&ascii[..1]);
                out.push_str(&ascii[1..].to_ascii_lowercase());
            } else {
                out.push_str(ascii);
            }
        } else {
            out.push_str(substitute(c).unwrap_or(" "));
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Keeps at most `max` characters of ASCII text, without a trailing space.
fn truncate(mut text: String, max: usize) -> String {
    text.truncate(max.min(text.len()));
    text.trim_end().to_owned()
}

/// Free text (names, remittance information) in the SEPA Latin character set:
/// `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space. Accents are stripped (`é` → `e`,
/// `œ` → `oe`, `ß` → `ss`), `&` becomes `+`, typographic quotes and dashes become
/// `'` and `-`, anything else a space; spaces are collapsed and the result cut
/// to `max` characters.
pub fn sepa_text(s: &str, max: usize) -> String {
    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)
    }
    fn substitute(c: char) -> Option<&'static str> {
        Some(match c {
            '&' => "+",
            '’' | '‘' | '`' | '´' | '"' | '“' | '”' | '«' | '»' => "'",
            '–' | '—' | '_' => "-",
            '€' => " EUR ",
            _ => return None,
        })
    }
    truncate(clean(s, allowed, substitute), max)
}

/// An identifier (message id, mandate reference, end-to-end id) in the restricted
/// set EPC allows for references: `A-Z a-z 0-9 + ? / - : ( ) . ,` and space.
/// Accents are stripped, other characters become `-`, spaces are collapsed, and
/// since EPC forbids a reference starting or ending with `/` or containing `//`,
/// those slashes are removed. The result is cut to `max` characters.
pub fn sepa_id(s: &str, max: usize) -> String {
    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || "+?/-:().,".contains(c) || c.is_whitespace()
    }
    let mut id = clean(s, allowed, |_| Some("-"));
    while id.contains("//") {
        id = id.replace("//", "/");
    }
    let id = truncate(id.trim_matches('/').to_owned(), max);
    id.trim_end_matches('/').trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_ibans_are_accepted() {
        for iban in [
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "FR7630006000011234567890189",
            "BE68539007547034",
            "NL91ABNA0417164300",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "CH9300762011623852957",
            "LU280019400644750000",
            "AT611904300234573201",
            "PT50000201231234567890154",
            "IE29AIBK93115212345678",
            "MC5811222000010123456789030",
        ] {
            let parsed = Iban::parse(iban).unwrap_or_else(|e| panic!("{iban}: {e}"));
            assert_eq!(parsed.as_str(), iban);
        }
    }

    #[test]
    fn an_iban_typed_in_lower_case_with_spaces_is_accepted() {
        let iban = Iban::parse(" fr76 3000 6000 0112 3456 7890 189 ").expect("valid IBAN");
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.country(), "FR");
        assert_eq!(iban.to_string(), "FR76 3000 6000 0112 3456 7890 189");
    }

    #[test]
    fn a_typo_breaks_the_checksum() {
        assert_eq!(Iban::parse("FR7630006000011234567890188"), Err(SepaError::Checksum));
        // Two swapped digits, the most common typo.
        assert_eq!(Iban::parse("DE89370400440532031000"), Err(SepaError::Checksum));
    }

    #[test]
    fn a_missing_character_is_a_length_error() {
        assert_eq!(
            Iban::parse("FR763000600001123456789018"),
            Err(SepaError::WrongLength {
                country: "FR".into(),
                expected: 27,
                found: 26
            })
        );
    }

    #[test]
    fn countries_outside_sepa_and_garbage_are_refused() {
        assert_eq!(Iban::parse("   "), Err(SepaError::Empty));
        assert_eq!(
            Iban::parse("US64SVBKUS6S3300958879"),
            Err(SepaError::UnknownCountry("US".into()))
        );
        assert_eq!(
            Iban::parse("1276300060000112345678901"),
            Err(SepaError::UnknownCountry("12".into()))
        );
        assert_eq!(
            Iban::parse("FR76-3000-6000-0112-3456-7890-189"),
            Err(SepaError::BadCharacters)
        );
        assert_eq!(
            Iban::parse("FRAB30006000011234567890189"),
            Err(SepaError::BadCharacters)
        );
        assert_eq!(
            Iban::parse("FR76 3000 6000 0112 3456 7890 18é"),
            Err(SepaError::BadCharacters)
        );
    }

    #[test]
    fn the_masked_form_shows_only_the_country_and_last_four() {
        let iban = Iban::parse("FR7630006000011234567890189").expect("valid IBAN");
        assert_eq!(iban.masked(), "FR•• •••• 0189");
        assert_eq!(format!("{iban:?}"), "Iban(FR•• •••• 0189)");
    }

    #[test]
    fn bics_of_8_and_11_characters_are_accepted() {
        assert_eq!(Bic::parse("bnpa fr pp").expect("8 chars").as_str(), "BNPAFRPP");
        assert_eq!(Bic::parse("BNPAFRPPXXX").expect("11 chars").as_str(), "BNPAFRPPXXX");
        assert_eq!(Bic::parse("DEUTDEFF500").expect("branch code").as_str(), "DEUTDEFF500");
        assert_eq!(
            Bic::parse("AGRIFRPP882").expect("regional bank").to_string(),
            "AGRIFRPP882"
        );
    }

    #[test]
    fn malformed_bics_are_refused() {
        for bad in [
            "BNPAFRP",
            "BNPAFRPPXX",
            "BNP1FRPP",
            "BNPAF1PP",
            "BNPAFR1P",
            "BNPAFRPO",
            "BNPAFRPP-XX",
        ] {
            assert_eq!(Bic::parse(bad), Err(SepaError::BadBic), "{bad}");
        }
        assert_eq!(Bic::parse(""), Err(SepaError::Empty));
    }

    #[test]
    fn creditor_ids_are_checked_without_their_business_code() {
        assert_eq!(
            CreditorId::parse("FR72ZZZ123456").expect("French ICS").as_str(),
            "FR72ZZZ123456"
        );
        // The business code is free: changing it keeps the identifier valid.
        assert!(CreditorId::parse("fr72 abc 123456").is_ok());
        assert!(CreditorId::parse("DE98ZZZ09999999999").is_ok());
    }

    #[test]
    fn malformed_creditor_ids_are_refused() {
        for bad in [
            "FR73ZZZ123456",
            "FR72ZZZ123457",
            "FR72ZZZ",
            "7272ZZZ123456",
            "FR7XZZZ123456",
            "FR72ZZZ12-456",
        ] {
            assert_eq!(CreditorId::parse(bad), Err(SepaError::BadCreditorId), "{bad}");
        }
        assert_eq!(CreditorId::parse(" "), Err(SepaError::Empty));
    }

    #[test]
    fn free_text_is_rewritten_in_the_sepa_character_set() {
        assert_eq!(
            sepa_text("Zoé & Renée Œuvre Ltd <x@y>", 70),
            "Zoe + Renee Oeuvre Ltd x y"
        );
        assert_eq!(sepa_text("ŒUVRE ÆTHER straße Muñoz", 70), "OEUVRE AETHER strasse Munoz");
        assert_eq!(
            sepa_text("L’Étoile « du Nord » — 10 €", 70),
            "L'Etoile ' du Nord ' - 10 EUR"
        );
        assert_eq!(sepa_text("  a\n\tb  ", 70), "a b");
    }

    #[test]
    fn free_text_is_cut_at_the_maximum_length() {
        assert_eq!(sepa_text("Association des amis", 12), "Association");
        assert_eq!(sepa_text("Éléonore", 3), "Ele");
        assert_eq!(sepa_text(&"é".repeat(200), 140).len(), 140);
    }

    #[test]
    fn identifiers_keep_only_the_restricted_set() {
        assert_eq!(sepa_id("don_2026_été#1", 35), "don-2026-ete-1");
        assert_eq!(sepa_id("/RUM//2026/", 35), "RUM/2026");
        assert_eq!(sepa_id("abc/def", 4), "abc");
        assert_eq!(sepa_id("'quoted'", 35), "-quoted-");
    }
}
