//! Amounts written out in French words, as the tax receipt form (CERFA 11580)
//! asks next to the figures, so that a figure cannot be altered unnoticed.
//!
//! The spelling is the traditional one, from before the 1990 reform, because
//! official forms and notaries still use it:
//! - hyphens only between tens and units below one hundred (`vingt-deux`,
//!   `deux cent vingt-deux`, `trois mille`);
//! - `et` in 21, 31, 41, 51, 61 and 71 (`vingt et un`, `soixante et onze`),
//!   but not in 81 and 91 (`quatre-vingt-un`, `quatre-vingt-onze`);
//! - `vingt` (in 80) and `cent` take an `s` when multiplied and ending the
//!   number (`quatre-vingts`, `deux cents`), not when another number follows
//!   (`quatre-vingt-deux`, `deux cent un`, `deux cent mille`);
//! - `mille` never varies, and 1 000 is `mille`, not `un mille`;
//! - `million`, `milliard`, `billion`, `billiard` are nouns: they take an `s`
//!   (`deux millions`), leave `vingts`/`cents` before them plural
//!   (`quatre-vingts millions`), and call for `d’euros` when they end the amount
//!   (`un million d’euros`).
//!
//! Scales follow the long scale used in France: a billion is 10¹², a billiard 10¹⁵,
//! enough for every amount [`Money`] can hold.

use crate::money::Money;

const UNITS: [&str; 17] = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
    "quatorze", "quinze", "seize",
];

/// Tens from 20 to 60; 70 to 99 are built on 60 and 80.
const TENS: [&str; 7] = ["", "", "vingt", "trente", "quarante", "cinquante", "soixante"];

/// Nouns for 10⁶, 10⁹, 10¹², 10¹⁵, smallest first.
const SCALES: [&str; 4] = ["million", "milliard", "billion", "billiard"];

/// The amount in words: `cent vingt euros`, `douze euros et trente-quatre centimes`,
/// `cinquante centimes`, `zéro euro`. Negative amounts start with `moins`.
pub fn euros_in_words(m: Money) -> String {
    let abs = m.cents().unsigned_abs();
    let (euros, cents) = (abs / 100, abs % 100);
    let mut out = String::new();
    if m.cents() < 0 {
        out.push_str("moins ");
    }
    if euros > 0 || cents == 0 {
        out.push_str(&number_in_words(euros));
        out.push_str(match euros {
            0 | 1 => " euro",
            _ if euros % 1_000_000 == 0 => " d’euros",
            _ => " euros",
        });
    }
    if cents > 0 {
        if euros > 0 {
            out.push_str(" et ");
        }
        out.push_str(&below_hundred(cents, true));
        out.push_str(if cents == 1 { " centime" } else { " centimes" });
    }
    out
}

/// A whole number in words, masculine (as for euros and centimes).
fn number_in_words(n: u64) -> String {
    if n == 0 {
        return UNITS[0].to_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    // French names numbers by groups of three digits; a group's index is its scale.
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    for (index, &group) in groups.iter().enumerate().rev() {
        if group == 0 {
            continue;
        }
        match index {
            0 => parts.push(below_thousand(group, true)),
            1 if group == 1 => parts.push("mille".to_owned()),
            1 => parts.push(format!("{} mille", below_thousand(group, false))),
            _ => {
                let noun = SCALES.get(index - 2).copied().unwrap_or("");
                let plural = if group > 1 { "s" } else { "" };
                // Before a noun the number is complete: `quatre-vingts millions`.
                parts.push(format!("{} {noun}{plural}", below_thousand(group, true)));
            }
        }
    }
    parts.join(" ")
}

/// 1 to 999. `last` is false when `mille` follows, which keeps `vingt` and `cent` singular.
fn below_thousand(n: u64, last: bool) -> String {
    let (hundreds, rest) = (n / 100, n % 100);
    match (hundreds, rest) {
        (0, _) => below_hundred(rest, last),
        (1, 0) => "cent".to_owned(),
        (1, _) => format!("cent {}", below_hundred(rest, last)),
        (_, 0) => format!("{} {}", unit(hundreds), if last { "cents" } else { "cent" }),
        (_, _) => format!("{} cent {}", unit(hundreds), below_hundred(rest, last)),
    }
}

/// 0 to 99, hyphenated.
fn below_hundred(n: u64, last: bool) -> String {
    let (tens, units) = (n / 10, n % 10);
    match (tens, units) {
        (0, _) | (1, 0..=6) => unit(n).to_owned(),
        (1, _) => format!("dix-{}", unit(units)),
        (2..=6, 0) => ten(tens).to_owned(),
        (2..=7, 1) => format!("{} et {}", ten(tens.min(6)), below_hundred(n - tens.min(6) * 10, last)),
        (2..=6, _) => format!("{}-{}", ten(tens), unit(units)),
        (7, _) => format!("soixante-{}", below_hundred(n - 60, last)),
        (8, 0) if last => "quatre-vingts".to_owned(),
        (8, 0) => "quatre-vingt".to_owned(),
        _ => format!("quatre-vingt-{}", below_hundred(n - 80, last)),
    }
}

fn unit(n: u64) -> &'static str {
    usize::try_from(n)
        .ok()
        .and_then(|i| UNITS.get(i))
        .copied()
        .unwrap_or("")
}

fn ten(n: u64) -> &'static str {
    usize::try_from(n).ok().and_then(|i| TENS.get(i)).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(cents: i64) -> String {
        euros_in_words(Money::from_cents(cents))
    }

    fn euros(n: i64) -> String {
        words(n * 100)
    }

    #[test]
    fn examples_from_the_receipt_form() {
        for (cents, expected) in [
            (0, "zéro euro"),
            (100, "un euro"),
            (200, "deux euros"),
            (12_000, "cent vingt euros"),
            (50, "cinquante centimes"),
            (1, "un centime"),
            (101, "un euro et un centime"),
            (1234, "douze euros et trente-quatre centimes"),
            (8000, "quatre-vingts euros"),
            (8100, "quatre-vingt-un euros"),
            (20_000, "deux cents euros"),
            (20_100, "deux cent un euros"),
            (100_000, "mille euros"),
            (200_000, "deux mille euros"),
            (100_000_000, "un million d’euros"),
            (250_000_000, "deux millions cinq cent mille euros"),
            (2100, "vingt et un euros"),
            (7100, "soixante et onze euros"),
            (9100, "quatre-vingt-onze euros"),
            (80, "quatre-vingts centimes"),
            (1_000_080, "dix mille euros et quatre-vingts centimes"),
            (-1250, "moins douze euros et cinquante centimes"),
        ] {
            assert_eq!(words(cents), expected, "{cents}");
        }
    }

    #[test]
    fn below_one_hundred() {
        let expected = [
            "zéro",
            "un",
            "deux",
            "trois",
            "quatre",
            "cinq",
            "six",
            "sept",
            "huit",
            "neuf",
            "dix",
            "onze",
            "douze",
            "treize",
            "quatorze",
            "quinze",
            "seize",
            "dix-sept",
            "dix-huit",
            "dix-neuf",
            "vingt",
            "vingt et un",
            "vingt-deux",
            "vingt-trois",
            "vingt-quatre",
            "vingt-cinq",
            "vingt-six",
            "vingt-sept",
            "vingt-huit",
            "vingt-neuf",
            "trente",
            "trente et un",
            "trente-deux",
            "trente-trois",
            "trente-quatre",
            "trente-cinq",
            "trente-six",
            "trente-sept",
            "trente-huit",
            "trente-neuf",
            "quarante",
            "quarante et un",
            "quarante-deux",
            "quarante-trois",
            "quarante-quatre",
            "quarante-cinq",
            "quarante-six",
            "quarante-sept",
            "quarante-huit",
            "quarante-neuf",
            "cinquante",
            "cinquante et un",
            "cinquante-deux",
            "cinquante-trois",
            "cinquante-quatre",
            "cinquante-cinq",
            "cinquante-six",
            "cinquante-sept",
            "cinquante-huit",
            "cinquante-neuf",
            "soixante",
            "soixante et un",
            "soixante-deux",
            "soixante-trois",
            "soixante-quatre",
            "soixante-cinq",
            "soixante-six",
            "soixante-sept",
            "soixante-huit",
            "soixante-neuf",
            "soixante-dix",
            "soixante et onze",
            "soixante-douze",
            "soixante-treize",
            "soixante-quatorze",
            "soixante-quinze",
            "soixante-seize",
            "soixante-dix-sept",
            "soixante-dix-huit",
            "soixante-dix-neuf",
            "quatre-vingts",
            "quatre-vingt-un",
            "quatre-vingt-deux",
            "quatre-vingt-trois",
            "quatre-vingt-quatre",
            "quatre-vingt-cinq",
            "quatre-vingt-six",
            "quatre-vingt-sept",
            "quatre-vingt-huit",
            "quatre-vingt-neuf",
            "quatre-vingt-dix",
            "quatre-vingt-onze",
            "quatre-vingt-douze",
            "quatre-vingt-treize",
            "quatre-vingt-quatorze",
            "quatre-vingt-quinze",
            "quatre-vingt-seize",
            "quatre-vingt-dix-sept",
            "quatre-vingt-dix-huit",
            "quatre-vingt-dix-neuf",
        ];
        for (n, text) in (0..).zip(expected) {
            assert_eq!(number_in_words(n), text, "{n}");
            assert!(!number_in_words(n).contains("  "), "{n}");
        }
    }

    #[test]
    fn plural_of_vingt_and_cent() {
        for (n, expected) in [
            (100, "cent euros"),
            (101, "cent un euros"),
            (180, "cent quatre-vingts euros"),
            (280, "deux cent quatre-vingts euros"),
            (300, "trois cents euros"),
            (399, "trois cent quatre-vingt-dix-neuf euros"),
            (1100, "mille cent euros"),
            (1980, "mille neuf cent quatre-vingts euros"),
            (80_000, "quatre-vingt mille euros"),
            (80_080, "quatre-vingt mille quatre-vingts euros"),
            (200_000, "deux cent mille euros"),
            (200_200, "deux cent mille deux cents euros"),
            (280_000, "deux cent quatre-vingt mille euros"),
            (80_000_000, "quatre-vingts millions d’euros"),
            (200_000_000, "deux cents millions d’euros"),
            (280_000_000, "deux cent quatre-vingts millions d’euros"),
            (201_000_000, "deux cent un millions d’euros"),
        ] {
            assert_eq!(euros(n), expected, "{n}");
        }
    }

    #[test]
    fn thousands_and_beyond() {
        for (n, expected) in [
            (1001, "mille un euros"),
            (1021, "mille vingt et un euros"),
            (2024, "deux mille vingt-quatre euros"),
            (21_000, "vingt et un mille euros"),
            (71_000, "soixante et onze mille euros"),
            (81_000, "quatre-vingt-un mille euros"),
            (100_000, "cent mille euros"),
            (
                999_999,
                "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf euros",
            ),
            (1_000_001, "un million un euros"),
            (1_001_000, "un million mille euros"),
            (2_000_000, "deux millions d’euros"),
            (21_000_000, "vingt et un millions d’euros"),
            (1_000_000_000, "un milliard d’euros"),
            (3_000_000_000, "trois milliards d’euros"),
            (
                1_234_567_890,
                "un milliard deux cent trente-quatre millions cinq cent soixante-sept mille huit cent quatre-vingt-dix \
                 euros",
            ),
            (1_000_000_000_000, "un billion d’euros"),
            (2_000_000_000_000_000, "deux billiards d’euros"),
        ] {
            assert_eq!(euros(n), expected, "{n}");
        }
        assert_eq!(
            words(i64::MAX),
            "quatre-vingt-douze billiards deux cent trente-trois billions sept cent vingt milliards trois cent \
             soixante-huit millions cinq cent quarante-sept mille sept cent cinquante-huit euros et sept centimes"
        );
        assert!(words(i64::MIN).starts_with("moins quatre-vingt-douze billiards"));
        assert!(words(i64::MIN).ends_with("et huit centimes"));
    }

    #[test]
    fn cents_alone_and_with_euros() {
        assert_eq!(words(5), "cinq centimes");
        assert_eq!(words(99), "quatre-vingt-dix-neuf centimes");
        assert_eq!(words(180), "un euro et quatre-vingts centimes");
        assert_eq!(words(2_000_000_001), "vingt millions d’euros et un centime");
    }

    /// Reads traditional French number words back, to check every value round-trips.
    fn read_back(text: &str) -> u64 {
        let mut total = 0;
        let mut group = 0;
        let mut previous = "";
        for word in text.split([' ', '-']) {
            let word = word
                .strip_suffix('s')
                .filter(|w| *w == "vingt" || *w == "cent")
                .unwrap_or(word);
            let small = UNITS
                .iter()
                .position(|u| *u == word)
                .or_else(|| TENS.iter().position(|t| *t == word).map(|t| t * 10));
            match (word, small) {
                ("et", _) => {}
                ("vingt", _) if previous == "quatre" => group += 76,
                (_, Some(v)) => group += v as u64,
                ("cent", _) => group = group.max(1) * 100,
                ("mille", _) => {
                    total += group.max(1) * 1000;
                    group = 0;
                }
                _ => {
                    let scale = SCALES.iter().position(|s| word.trim_end_matches('s') == *s).unwrap();
                    total += group * 1000_u64.pow(scale as u32 + 2);
                    group = 0;
                }
            }
            previous = word;
        }
        total + group
    }

    #[test]
    fn every_value_up_to_two_thousand_reads_well() {
        for n in 0..=2000_u64 {
            let text = number_in_words(n);
            assert!(!text.is_empty(), "{n}");
            assert!(
                !text.contains("  ") && !text.starts_with(' ') && !text.ends_with(' '),
                "{n}: {text:?}"
            );
            assert!(
                !text.contains(" -") && !text.contains("- ") && !text.contains("--"),
                "{n}: {text:?}"
            );
            assert_eq!(read_back(&text), n, "{text:?}");
            let money = euros(i64::try_from(n).unwrap());
            assert!(money.ends_with(if n < 2 { " euro" } else { " euros" }), "{money}");
            // The same n as cents: 0,00 € to 20,00 €, every cent.
            let cents = words(i64::try_from(n).unwrap());
            assert!(
                !cents.is_empty() && !cents.contains("  ") && !cents.ends_with(' '),
                "{cents:?}"
            );
            let ending = match (n / 100, n % 100) {
                (0 | 1, 0) => " euro",
                (_, 0) => " euros",
                (_, 1) => " centime",
                _ => " centimes",
            };
            assert!(cents.ends_with(ending), "{cents:?}");
            assert_eq!(cents.contains("euro"), n == 0 || n >= 100, "{cents:?}");
        }
    }

    #[test]
    fn larger_values_round_trip() {
        let mut n: u64 = 1;
        while n < 9_000_000_000_000_000 {
            for m in [n, n + 1, n * 2 + 80, n * 3 + 200_001, n * 7 + 80_000] {
                let text = number_in_words(m);
                assert!(!text.contains("  "), "{m}");
                assert_eq!(read_back(&text), m, "{m}: {text:?}");
            }
            n = n * 10 + 7;
        }
    }
}
