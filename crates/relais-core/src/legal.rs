//! French legal identifiers of an association, printed on tax receipts.

/// Why a legal identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegalIdError {
    /// RNA numbers are `W` then nine characters, e.g. `W751234567`.
    #[error("an RNA number is W followed by 9 characters, for instance W751234567")]
    Rna,
    /// SIREN numbers are nine digits with a Luhn check digit.
    #[error("a SIREN number has 9 digits and a valid check digit")]
    Siren,
}

/// Normalises and checks an RNA number (Répertoire national des associations).
/// Corsican departments put letters in it (`W2A…`), so inner characters are alphanumeric.
pub fn parse_rna(input: &str) -> Result<String, LegalIdError> {
    let value: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let ok = value.len() == 10 && value.starts_with('W') && value[1..].chars().all(|c| c.is_ascii_alphanumeric());
    if ok { Ok(value) } else { Err(LegalIdError::Rna) }
}

/// Normalises and checks a SIREN number (spaces allowed in input).
pub fn parse_siren(input: &str) -> Result<String, LegalIdError> {
    let value: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if value.len() != 9 || !value.chars().all(|c| c.is_ascii_digit()) {
        return Err(LegalIdError::Siren);
    }
    if luhn_ok(&value) {
        Ok(value)
    } else {
        Err(LegalIdError::Siren)
    }
}

/// The Luhn checksum that SIREN numbers carry.
fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rna_numbers_are_normalised() {
        assert_eq!(parse_rna(" w751234567 ").unwrap(), "W751234567");
        assert_eq!(parse_rna("W2A1002345").unwrap(), "W2A1002345");
        assert_eq!(parse_rna("751234567"), Err(LegalIdError::Rna));
        assert_eq!(parse_rna("W75123456"), Err(LegalIdError::Rna));
    }

    #[test]
    fn siren_check_digit_is_verified() {
        // 732 829 320 is a real, valid SIREN.
        assert_eq!(parse_siren("732 829 320").unwrap(), "732829320");
        assert_eq!(parse_siren("732829321"), Err(LegalIdError::Siren));
        assert_eq!(parse_siren("12345678"), Err(LegalIdError::Siren));
    }
}
