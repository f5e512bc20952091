//! Association colours, checked for WCAG contrast so buttons stay readable.

use std::fmt;

/// Why a colour was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ColorError {
    /// Not `#rrggbb`.
    #[error("a colour is written #rrggbb, for instance #1d4ed8")]
    Malformed,
    /// White text on it would fail WCAG 2.1 AA (4.5:1).
    #[error(
        "white text on this colour would be hard to read (contrast {0:.1}:1, at least 4.5:1 needed); choose a darker colour"
    )]
    LowContrast(f64),
}

/// A colour `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexColor([u8; 3]);

impl HexColor {
    /// Parses `#rrggbb` (or `rrggbb`), case-insensitive.
    pub fn parse(input: &str) -> Result<Self, ColorError> {
        let hex = input.trim().trim_start_matches('#');
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ColorError::Malformed);
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| ColorError::Malformed);
        Ok(Self([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// Parses a colour that will carry white text (buttons, header): refuses it when
    /// the contrast is below WCAG AA for normal text.
    pub fn parse_for_white_text(input: &str) -> Result<Self, ColorError> {
        let color = Self::parse(input)?;
        let ratio = color.contrast_with(Self([255, 255, 255]));
        if ratio < 4.5 {
            return Err(ColorError::LowContrast(ratio));
        }
        Ok(color)
    }

    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let s = f64::from(c) / 255.0;
            if s <= 0.039_28 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0[0]) + 0.7152 * channel(self.0[1]) + 0.0722 * channel(self.0[2])
    }

    /// WCAG contrast ratio between two colours (1 to 21).
    pub fn contrast_with(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

impl fmt::Display for HexColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_lowercase() {
        assert_eq!(HexColor::parse("#1D4ED8").unwrap().to_string(), "#1d4ed8");
        assert_eq!(HexColor::parse("1d4ed8").unwrap().to_string(), "#1d4ed8");
        assert_eq!(HexColor::parse("#12345"), Err(ColorError::Malformed));
        assert_eq!(HexColor::parse("#12345g"), Err(ColorError::Malformed));
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        let black = HexColor::parse("#000000").unwrap();
        let white = HexColor::parse("#ffffff").unwrap();
        assert!((black.contrast_with(white) - 21.0).abs() < 0.01);
        let grey = HexColor::parse("#767676").unwrap();
        assert!((grey.contrast_with(white) - 4.54).abs() < 0.01);
    }

    #[test]
    fn pale_colours_are_refused_for_white_text() {
        assert!(matches!(
            HexColor::parse_for_white_text("#ffdd00"),
            Err(ColorError::LowContrast(_))
        ));
        assert!(HexColor::parse_for_white_text("#1d4ed8").is_ok());
    }
}
