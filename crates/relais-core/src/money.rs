//! Amounts of money as integer cents: binary floats cannot hold 0,10 € exactly,
//! and a receipt that is off by a cent is a wrong receipt.

use std::fmt;

use crate::locale::Locale;
use crate::settings::FieldError;

/// An amount in euro cents.
///
/// The currency is always EUR: Relais serves French associations, which receive
/// and receipt gifts in euros only, so a currency field would carry the same value
/// everywhere and invite checks nobody can test. When a second currency appears,
/// it becomes a field and mixed-currency arithmetic becomes a type error.
///
/// Negative amounts exist (refunds, corrections); [`parse_amount`] never produces them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Money {
    cents: i64,
}

impl Money {
    /// An amount of `cents` hundredths of a euro.
    pub const fn from_cents(cents: i64) -> Self {
        Self { cents }
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.cents
    }

    /// The whole euros, truncated towards zero (`-12,50 €` gives `-12`), so that
    /// `euros()` and the cents shown after the comma describe the same digits.
    pub const fn euros(self) -> i64 {
        self.cents / 100
    }

    /// English style: `€1,234.00`.
    pub fn format_en(self) -> String {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        format!("{sign}€{}.{:02}", group_thousands(abs / 100, ','), abs % 100)
    }

    /// The style readers of `locale` expect.
    pub fn format(self, locale: Locale) -> String {
        match locale {
            Locale::Fr => self.to_string(),
            Locale::En => self.format_en(),
        }
    }
}

/// French style: `1 234,50 €`, with a narrow no-break space (U+202F) between
/// thousands and a no-break space (U+00A0) before the sign, as the Imprimerie
/// nationale rules ask, so an amount never wraps across two lines.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        f.pad(&format!(
            "{sign}{},{:02}\u{a0}€",
            group_thousands(abs / 100, '\u{202f}'),
            abs % 100
        ))
    }
}

fn group_thousands(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// Why a typed amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing typed (or only the € sign).
    #[error("enter an amount")]
    Empty,
    /// Letters or symbols other than digits, spaces, one comma or dot, and €.
    #[error("the amount should look like 20 or 12,50")]
    Invalid,
    /// Both a dot and a comma, several of them, or a single one followed by exactly
    /// three digits (`1.234`, `1,000`): thousands or decimals, we cannot tell which,
    /// and guessing wrong multiplies a gift by a thousand.
    #[error("write the amount without a thousands separator, for instance 1234,56")]
    Ambiguous,
    /// Zero or negative.
    #[error("the amount should be more than zero")]
    NotPositive,
    /// More than two digits after the decimal separator.
    #[error("the amount can have at most two digits after the comma")]
    TooManyDecimals,
    /// Does not fit in the cents counter.
    #[error("the amount is too large")]
    TooLarge,
    /// Less than the allowed minimum, given.
    #[error("the amount should be at least {}", .0.format_en())]
    Below(Money),
    /// More than the allowed maximum, given.
    #[error("the amount should be at most {}", .0.format_en())]
    Above(Money),
}

impl AmountError {
    /// The form error for `field`, bounds written the way `locale` reads them.
    pub fn field_error(&self, field: &'static str, locale: Locale) -> FieldError {
        let code = match self {
            Self::Empty => "err-required",
            Self::Invalid => "err-amount",
            Self::Ambiguous => "err-amount-ambiguous",
            Self::NotPositive => "err-amount-positive",
            Self::TooManyDecimals => "err-amount-decimals",
            Self::TooLarge => "err-amount-too-large",
            Self::Below(_) => "err-amount-min",
            Self::Above(_) => "err-amount-max",
        };
        let arg = match self {
            Self::Below(bound) | Self::Above(bound) => Some(bound.format(locale)),
            _ => None,
        };
        FieldError { field, code, arg }
    }
}

/// Parses an amount as a French donor types it: `12`, `12,5`, `12,50`, `12.50`,
/// `1 234,56 €`, `€20`, `20€`.
///
/// Spaces (including the no-break ones that copy-pasting a formatted amount
/// brings) separate thousands, in groups of three. A single comma or dot
/// separates cents. Anything that could mean two different amounts is refused
/// with [`AmountError::Ambiguous`] rather than guessed: `1.234,56`, `1,234.56`,
/// `1.000`. A trailing or leading separator (`12,`, `,50`) is refused as invalid.
pub fn parse_amount(input: &str) -> Result<Money, AmountError> {
    let text = input.trim();
    let (negative, text) = strip_sign(text);
    let text = strip_euro_sign(text);
    // The sign may sit on either side of the € sign: `-20 €`, `€-20`.
    let (negative, text) = if negative { (true, text) } else { strip_sign(text) };
    if text.is_empty() {
        return Err(if negative {
            AmountError::Invalid
        } else {
            AmountError::Empty
        });
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || c == ',' || c == '.')
    {
        return Err(AmountError::Invalid);
    }
    if text.matches([',', '.']).count() > 1 {
        return Err(AmountError::Ambiguous);
    }
    let (whole, fraction) = match text.split_once([',', '.']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if whole.is_empty() || whole.ends_with(char::is_whitespace) {
        return Err(AmountError::Invalid);
    }
    let groups: Vec<&str> = whole.split_whitespace().collect();
    if let [first, rest @ ..] = groups.as_slice()
        && !rest.is_empty()
        && (first.len() > 3 || rest.iter().any(|g| g.len() != 3))
    {
        return Err(AmountError::Invalid);
    }
    let fraction_cents = match fraction {
        None => 0,
        Some(f) if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) => return Err(AmountError::Invalid),
        Some(f) if f.len() == 3 && groups.len() == 1 && whole.len() <= 3 && !whole.starts_with('0') => {
            return Err(AmountError::Ambiguous);
        }
        Some(f) if f.len() > 2 => return Err(AmountError::TooManyDecimals),
        Some(f) => {
            let value = digits_value(f)?;
            if f.len() == 1 { value * 10 } else { value }
        }
    };
    if negative {
        return Err(AmountError::NotPositive);
    }
    let euros = digits_value(&groups.concat())?;
    let cents = euros
        .checked_mul(100)
        .and_then(|c| c.checked_add(fraction_cents))
        .ok_or(AmountError::TooLarge)?;
    if cents == 0 {
        return Err(AmountError::NotPositive);
    }
    Ok(Money::from_cents(cents))
}

fn strip_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    }
}

fn strip_euro_sign(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix('€') {
        rest.trim_start()
    } else if let Some(rest) = text.strip_suffix('€') {
        rest.trim_end()
    } else {
        text
    }
}

fn digits_value(digits: &str) -> Result<i64, AmountError> {
    digits.chars().try_fold(0_i64, |acc, c| {
        let digit = c.to_digit(10).ok_or(AmountError::Invalid)?;
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(digit)))
            .ok_or(AmountError::TooLarge)
    })
}

/// Checks `min <= m <= max`, naming the bound that was crossed.
pub fn check_range(m: Money, min: Money, max: Money) -> Result<(), AmountError> {
    if m < min {
        Err(AmountError::Below(min))
    } else if m > max {
        Err(AmountError::Above(max))
    } else {
        Ok(())
    }
}

/// What a gift really costs a French taxpayer once the income tax reduction of
/// article 200 CGI applies: `rate_percent` is 66 in general and 75 for aid to
/// people in difficulty; the caller picks it (and splits a gift that crosses
/// the yearly ceiling of the 75 % rate). Rates above 100 count as 100.
///
/// The reduction is rounded down to the cent, so the cost is rounded up: we may
/// understate the tax benefit by less than a cent, never overstate it, since
/// donors decide on this figure. Round gifts give round costs (50 € costs 17 €).
/// The overall cap of 20 % of taxable income depends on the donor's situation,
/// which Relais does not know, and is not applied.
pub fn cost_after_reduction(gift: Money, rate_percent: u32) -> Money {
    let gift_cents = i128::from(gift.cents);
    let reduction = (gift_cents * i128::from(rate_percent.min(100))).div_euclid(100);
    // The cost lies between zero and the gift, so it always fits.
    Money::from_cents(i64::try_from(gift_cents - reduction).unwrap_or(gift.cents))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(cents: i64) -> Money {
        Money::from_cents(cents)
    }

    #[test]
    fn accessors() {
        assert_eq!(eur(1250).cents(), 1250);
        assert_eq!(eur(1250).euros(), 12);
        assert_eq!(eur(99).euros(), 0);
        assert_eq!(eur(-1250).euros(), -12);
        assert_eq!(Money::default(), eur(0));
        assert!(eur(100) < eur(101));
    }

    #[test]
    fn french_display() {
        assert_eq!(eur(1250).to_string(), "12,50\u{a0}€");
        assert_eq!(eur(123_400).to_string(), "1\u{202f}234,00\u{a0}€");
        assert_eq!(eur(5).to_string(), "0,05\u{a0}€");
        assert_eq!(eur(0).to_string(), "0,00\u{a0}€");
        assert_eq!(eur(99_999_900).to_string(), "999\u{202f}999,00\u{a0}€");
        assert_eq!(eur(100_000_000).to_string(), "1\u{202f}000\u{202f}000,00\u{a0}€");
        assert_eq!(eur(-123_456).to_string(), "-1\u{202f}234,56\u{a0}€");
        assert_eq!(
            eur(i64::MIN).to_string(),
            "-92\u{202f}233\u{202f}720\u{202f}368\u{202f}547\u{202f}758,08\u{a0}€"
        );
        assert_eq!(format!("[{:>10}]", eur(1250)), "[   12,50\u{a0}€]");
    }

    #[test]
    fn english_format() {
        assert_eq!(eur(123_400).format_en(), "€1,234.00");
        assert_eq!(eur(1250).format_en(), "€12.50");
        assert_eq!(eur(7).format_en(), "€0.07");
        assert_eq!(eur(123_456_789).format_en(), "€1,234,567.89");
        assert_eq!(eur(-2000).format_en(), "-€20.00");
        assert_eq!(eur(1250).format(Locale::En), "€12.50");
        assert_eq!(eur(1250).format(Locale::Fr), "12,50\u{a0}€");
    }

    #[test]
    fn what_donors_type_is_understood() {
        for (input, cents) in [
            ("12", 1200),
            ("12,5", 1250),
            ("12,50", 1250),
            ("12.50", 1250),
            ("12,05", 1205),
            ("0,50", 50),
            ("0.01", 1),
            (" 1 234,56 € ", 123_456),
            ("1234", 123_400),
            ("1234,56", 123_456),
            ("1 234.56", 123_456),
            ("€20", 2000),
            ("€ 20", 2000),
            ("20 €", 2000),
            ("20€", 2000),
            ("1\u{202f}000", 100_000),
            ("1\u{a0}000", 100_000),
            ("1\u{202f}234,50\u{a0}€", 123_450),
            ("12 345 678", 1_234_567_800),
            ("1  000", 100_000),
            ("007", 700),
            ("1234.5", 123_450),
        ] {
            assert_eq!(parse_amount(input), Ok(eur(cents)), "{input:?}");
        }
    }

    #[test]
    fn own_display_parses_back() {
        for cents in [1, 99, 100, 1250, 123_456, 100_000_000, 987_654_321_012] {
            assert_eq!(parse_amount(&eur(cents).to_string()), Ok(eur(cents)));
        }
    }

    #[test]
    fn empty_input() {
        for input in ["", "   ", "€", " € ", "\u{a0}"] {
            assert_eq!(parse_amount(input), Err(AmountError::Empty), "{input:?}");
        }
    }

    #[test]
    fn garbage_is_invalid() {
        for input in [
            "abc", "12abc", "douze", "12 EUR", "$12", "12$", "€20€", "1e3", "0x10", "12,", "12.", ",50", ".5",
            "12 ,50", "12, 50", "12,5 0", "-", "- €", "+12", "12-", "1'000", "12 34", "1 23", "1234 567", "1 2345",
            "١٢",
        ] {
            assert_eq!(parse_amount(input), Err(AmountError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn ambiguous_separators_are_refused() {
        for input in [
            "1.234,56",
            "1,234.56",
            "1.234.567",
            "1,234,567",
            "1.000",
            "1,000",
            "12.345",
            "999,999",
        ] {
            assert_eq!(parse_amount(input), Err(AmountError::Ambiguous), "{input:?}");
        }
    }

    #[test]
    fn zero_and_negative_are_not_positive() {
        for input in [
            "0", "0,00", "0.0", "000", "-12", "-12,50", "- 12", "−12", "-20 €", "-€20", "€-20", "€ -20", "-0",
        ] {
            assert_eq!(parse_amount(input), Err(AmountError::NotPositive), "{input:?}");
        }
    }

    #[test]
    fn more_than_two_decimals() {
        for input in ["1234,505", "0.500", "1234.567", "1 234,567", "12,5000", "1,2345"] {
            assert_eq!(parse_amount(input), Err(AmountError::TooManyDecimals), "{input:?}");
        }
    }

    #[test]
    fn absurd_sizes_are_too_large() {
        assert_eq!(parse_amount("92233720368547758,07"), Ok(eur(i64::MAX)));
        for input in [
            "92233720368547758,08",
            "92233720368547759",
            "99999999999999999999",
            "999999999999999999999999999999999999",
        ] {
            assert_eq!(parse_amount(input), Err(AmountError::TooLarge), "{input:?}");
        }
        // Leading zeros are not size.
        assert_eq!(parse_amount("0000000000000000000000000012"), Ok(eur(1200)));
    }

    #[test]
    fn range_names_the_crossed_bound() {
        let (min, max) = (eur(100), eur(1_000_000));
        assert_eq!(check_range(eur(100), min, max), Ok(()));
        assert_eq!(check_range(eur(1_000_000), min, max), Ok(()));
        assert_eq!(check_range(eur(5000), min, max), Ok(()));
        assert_eq!(check_range(eur(99), min, max), Err(AmountError::Below(min)));
        assert_eq!(check_range(eur(1_000_001), min, max), Err(AmountError::Above(max)));
    }

    #[test]
    fn errors_become_form_errors() {
        let e = AmountError::Below(eur(500)).field_error("amount", Locale::Fr);
        assert_eq!(
            (e.field, e.code, e.arg.as_deref()),
            ("amount", "err-amount-min", Some("5,00\u{a0}€"))
        );
        let e = AmountError::Above(eur(100_000)).field_error("amount", Locale::En);
        assert_eq!((e.code, e.arg.as_deref()), ("err-amount-max", Some("€1,000.00")));
        let e = AmountError::Empty.field_error("amount", Locale::Fr);
        assert_eq!((e.code, e.arg), ("err-required", None));
        assert_eq!(
            AmountError::Below(eur(500)).to_string(),
            "the amount should be at least €5.00"
        );
    }

    #[test]
    fn tax_reduction_cost() {
        // The figures associations print: 50 € costs 17 €, 100 € costs 34 €.
        assert_eq!(cost_after_reduction(eur(5000), 66), eur(1700));
        assert_eq!(cost_after_reduction(eur(10_000), 66), eur(3400));
        assert_eq!(cost_after_reduction(eur(10_000), 75), eur(2500));
        assert_eq!(cost_after_reduction(eur(1000), 66), eur(340));
        // 12,35 € × 66 % = 8,151 €: the reduction rounds down, the cost up.
        assert_eq!(cost_after_reduction(eur(1235), 66), eur(420));
        // 0,01 € × 75 % = 0,0075 €: no reduction is promised.
        assert_eq!(cost_after_reduction(eur(1), 75), eur(1));
        assert_eq!(cost_after_reduction(eur(5000), 0), eur(5000));
        assert_eq!(cost_after_reduction(eur(5000), 100), eur(0));
        assert_eq!(cost_after_reduction(eur(5000), 250), eur(0));
        assert_eq!(
            cost_after_reduction(eur(i64::MAX), 66),
            eur(i64::MAX - i64::MAX / 100 * 66 - 66 * 7 / 100)
        );
        assert_eq!(cost_after_reduction(eur(0), 66), eur(0));
    }

    #[test]
    fn cost_is_never_below_the_exact_value() {
        for rate in [66, 75] {
            for cents in 1..=20_000_i64 {
                let cost = cost_after_reduction(eur(cents), rate).cents();
                let exact_times_100 = cents * (100 - i64::from(rate));
                assert!(cost * 100 >= exact_times_100, "{cents} at {rate}");
                assert!(cost * 100 - exact_times_100 < 100, "{cents} at {rate}");
            }
        }
    }
}
