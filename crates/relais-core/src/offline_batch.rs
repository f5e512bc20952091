//! A batch of gifts received outside Relais (a bank deposit of cheques, the cash of
//! a fair, a month of transfers), as staff paste it from a spreadsheet or type it:
//! one gift per line. Every line is checked before anything is recorded, and a
//! refused line is reported with its number and reason, so nothing is dropped
//! silently and nothing is half-recorded.
//!
//! The text may start with a header row naming its columns (in French or English,
//! in any order; unknown columns are reported and ignored). Without one, the columns
//! are [`DEFAULT_COLUMNS`]. Cells are separated by tabs (a spreadsheet's copy), or
//! else semicolons, or else commas, with CSV quoting.

use jiff::civil::Date;

use crate::gift::{Frequency, GiftDraft, GiftInput};
use crate::locale::Locale;
use crate::money::{Money, parse_amount};
use crate::settings::FieldError;

/// The most lines one batch takes: a deposit slip, not an import of a donor base.
pub const MAX_LINES: usize = 1000;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Euros, as typed (`12`, `12,50`).
    Amount,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// E-mail address (may be empty: the receipt is then posted by staff).
    Email,
    /// Street address.
    Address,
    /// Postcode.
    Postcode,
    /// City.
    City,
    /// ISO country code (empty: France).
    Country,
    /// Whether this donor wants a tax receipt (`oui`/`non`, empty: the batch's choice).
    Receipt,
    /// The day this gift was received, when not the batch's.
    Date,
}

/// The columns of a batch without a header row, in order.
pub const DEFAULT_COLUMNS: [Column; 8] = [
    Column::Amount,
    Column::FirstName,
    Column::LastName,
    Column::Email,
    Column::Address,
    Column::Postcode,
    Column::City,
    Column::Receipt,
];

impl Column {
    /// The column a header cell names, in French or English, ignoring case,
    /// accents, spaces, dashes and underscores.
    pub fn from_header(cell: &str) -> Option<Self> {
        let key = crate::import::header_key(cell);
        Some(match key.as_str() {
            "montant" | "amount" | "somme" | "don" | "montantdudon" => Self::Amount,
            "prenom" | "firstname" => Self::FirstName,
            "nom" | "lastname" | "nomdefamille" | "surname" => Self::LastName,
            "email" | "mail" | "courriel" | "adresseemail" | "emailaddress" => Self::Email,
            "adresse" | "address" | "rue" | "adressepostale" | "street" => Self::Address,
            "codepostal" | "cp" | "postcode" | "zip" | "zipcode" | "postalcode" => Self::Postcode,
            "ville" | "commune" | "city" | "town" => Self::City,
            "pays" | "country" => Self::Country,
            "recu" | "recufiscal" | "receipt" | "taxreceipt" => Self::Receipt,
            "date" | "datedureception" | "recule" | "receivedon" | "datedudon" => Self::Date,
            _ => return None,
        })
    }
}

/// How a batch's columns were understood, for the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The column of each cell position (`None`: ignored).
    pub columns: Vec<Option<Column>>,
    /// Whether the first line was a header row.
    pub has_header: bool,
    /// Header cells that name nothing Relais knows, ignored.
    pub ignored: Vec<String>,
}

/// What applies to every line unless the line says otherwise.
#[derive(Debug, Clone, Copy)]
pub struct BatchDefaults {
    /// The day the batch was received.
    pub received_on: Date,
    /// Today in the association's time zone: no gift is received in the future.
    pub today: Date,
    /// Every donor wants a receipt unless their line says `non`.
    pub receipt: bool,
    /// Whether the association may issue receipts at all.
    pub tax_eligible: bool,
    /// The largest gift taken.
    pub max: Money,
    /// The language of the messages.
    pub locale: Locale,
}

/// One gift of the batch that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchGift {
    /// Its line in the pasted text (1 is the first line, the header if any).
    pub line: usize,
    /// The gift, with a donor's e-mail or `None` when the line gave none.
    pub draft: GiftDraft,
    /// Whether the line had an e-mail address (else the caller supplies a placeholder).
    pub has_email: bool,
    /// The day it was received.
    pub received_on: Date,
}

/// One refused line, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Its line in the pasted text (0: the batch as a whole).
    pub line: usize,
    /// What is wrong, one per field.
    pub errors: Vec<FieldError>,
}

/// A checked batch: every gift, or every refused line.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// How the columns were read.
    pub layout: Layout,
    /// The gifts, in line order; empty when any line was refused.
    pub gifts: Vec<BatchGift>,
    /// The refused lines, in order.
    pub refused: Vec<LineError>,
}

impl Checked {
    /// The batch's total, for the preview and the deposit slip check.
    pub fn total(&self) -> Money {
        Money::from_cents(self.gifts.iter().map(|g| g.draft.amount.cents()).sum())
    }
}

fn separator(first_line: &str) -> u8 {
    if first_line.contains('\t') {
        b'\t'
    } else if first_line.contains(';') {
        b';'
    } else {
        b','
    }
}

fn yes_no(raw: &str) -> Option<Option<bool>> {
    match raw.trim().to_lowercase().as_str() {
        "" => Some(None),
        "oui" | "o" | "yes" | "y" | "1" | "x" | "true" | "vrai" => Some(Some(true)),
        "non" | "n" | "no" | "0" | "false" | "faux" | "-" => Some(Some(false)),
        _ => None,
    }
}

/// The line (from 1) of a byte offset: the reader's own count skips blank lines.
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    // A record's position is where the reader resumed, before the blank lines it skipped.
    while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// A date as staff type it: `2026-11-27` or `27/11/2026`.
fn parse_date(raw: &str) -> Option<Date> {
    let raw = raw.trim();
    if let Ok(d) = raw.parse::<Date>() {
        return Some(d);
    }
    let mut parts = raw.split(['/', '.']);
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let year: i16 = y.trim().parse().ok()?;
    let year = if y.trim().len() == 2 { 2000 + year } else { year };
    Date::new(year, m.trim().parse().ok()?, d.trim().parse().ok()?).ok()
}

/// Checks a pasted batch. `text` is everything staff pasted; blank lines are skipped.
pub fn check(text: &str, defaults: BatchDefaults) -> Checked {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(first))
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut layout = Layout {
        columns: DEFAULT_COLUMNS.iter().copied().map(Some).collect(),
        has_header: false,
        ignored: Vec::new(),
    };
    let mut gifts = Vec::new();
    let mut refused = Vec::new();
    let mut seen_first = false;
    let mut count = 0usize;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p.byte()));
                refused.push(LineError {
                    line,
                    errors: vec![FieldError::new("lines", "err-batch-quoting")],
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if !seen_first {
            seen_first = true;
            // A header row: its first cell is no amount and some cell names a column.
            let named: Vec<Option<Column>> = record.iter().map(Column::from_header).collect();
            if parse_amount(record.get(0).unwrap_or("")).is_err() && named.iter().any(Option::is_some) {
                layout.ignored = record
                    .iter()
                    .zip(&named)
                    .filter(|(cell, c)| c.is_none() && !cell.is_empty())
                    .map(|(cell, _)| cell.to_owned())
                    .collect();
                layout.columns = named;
                layout.has_header = true;
                if !layout.columns.contains(&Some(Column::Amount)) {
                    refused.push(LineError {
                        line,
                        errors: vec![FieldError::new("lines", "err-batch-no-amount")],
                    });
                    break;
                }
                continue;
            }
        }
        count += 1;
        if count > MAX_LINES {
            refused.push(LineError {
                line: 0,
                errors: vec![FieldError {
                    field: "lines",
                    code: "err-batch-too-long",
                    arg: Some(MAX_LINES.to_string()),
                }],
            });
            break;
        }
        match check_line(&layout, &record, defaults) {
            Ok((draft, has_email, received_on)) => gifts.push(BatchGift {
                line,
                draft,
                has_email,
                received_on,
            }),
            Err(errors) => refused.push(LineError { line, errors }),
        }
    }
    if count == 0 && refused.is_empty() {
        refused.push(LineError {
            line: 0,
            errors: vec![FieldError::new("lines", "err-batch-empty")],
        });
    }
    if !refused.is_empty() {
        gifts.clear();
    }
    Checked { layout, gifts, refused }
}

/// A stand-in address for a line without e-mail: the gift must have a donor, who is
/// never written to (`.invalid` is reserved, RFC 2606).
const NO_EMAIL: &str = "no-email@offline.invalid";

fn check_line(
    layout: &Layout,
    record: &csv::StringRecord,
    defaults: BatchDefaults,
) -> Result<(GiftDraft, bool, Date), Vec<FieldError>> {
    // A quote left open swallows the following lines into one cell.
    if record.iter().any(|cell| cell.contains('\n')) {
        return Err(vec![FieldError::new("lines", "err-batch-quoting")]);
    }
    let mut input = GiftInput {
        frequency: Frequency::Once.as_str().to_owned(),
        ..GiftInput::default()
    };
    let mut errors = Vec::new();
    let mut receipt = None;
    let mut date = None;
    for (cell, column) in record.iter().zip(&layout.columns) {
        let Some(column) = column else { continue };
        match column {
            Column::Amount => input.amount = cell.to_owned(),
            Column::FirstName => input.first_name = cell.to_owned(),
            Column::LastName => input.last_name = cell.to_owned(),
            Column::Email => input.email = cell.to_owned(),
            Column::Address => input.address = cell.to_owned(),
            Column::Postcode => input.postcode = cell.to_owned(),
            Column::City => input.city = cell.to_owned(),
            Column::Country => input.country = cell.to_owned(),
            Column::Receipt => match yes_no(cell) {
                Some(r) => receipt = r,
                None => errors.push(FieldError::new("receipt", "err-batch-yes-no")),
            },
            Column::Date if cell.is_empty() => {}
            Column::Date => match parse_date(cell) {
                Some(d) if d <= defaults.today => date = Some(d),
                Some(_) => errors.push(FieldError::new("received_on", "err-date-future")),
                None => errors.push(FieldError::new("received_on", "err-date")),
            },
        }
    }
    let wants_receipt = defaults.tax_eligible && receipt.unwrap_or(defaults.receipt);
    input.receipt = if wants_receipt { "on".into() } else { String::new() };
    let has_email = !input.email.trim().is_empty();
    if !has_email {
        input.email = NO_EMAIL.to_owned();
    }
    match input.parse(&[Frequency::Once], Money::from_cents(1), defaults.max, defaults.locale) {
        Ok(draft) if errors.is_empty() => Ok((draft, has_email, date.unwrap_or(defaults.received_on))),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> BatchDefaults {
        BatchDefaults {
            received_on: Date::constant(2026, 11, 20),
            today: Date::constant(2026, 11, 27),
            receipt: true,
            tax_eligible: true,
            max: Money::from_cents(10_000_000),
            locale: Locale::Fr,
        }
    }

    #[test]
    fn default_columns_pasted_from_a_spreadsheet() {
        let text = "50\tJeanne\tMartin\tjeanne@example.org\t3 rue des Lilas\t69003\tLyon\toui\n\
                    \n\
                    20,50\tPaul\tDurand\t\t\t\t\tnon\n";
        let c = check(text, defaults());
        assert!(c.refused.is_empty(), "{:?}", c.refused);
        assert!(!c.layout.has_header);
        assert_eq!(c.gifts.len(), 2);
        assert_eq!(c.gifts[0].line, 1);
        assert_eq!(c.gifts[1].line, 3);
        assert_eq!(c.gifts[0].draft.amount.cents(), 5000);
        assert!(c.gifts[0].draft.wants_receipt);
        assert!(c.gifts[0].has_email);
        assert_eq!(c.gifts[1].draft.amount.cents(), 2050);
        assert!(!c.gifts[1].draft.wants_receipt);
        assert!(!c.gifts[1].has_email);
        assert!(c.gifts[1].draft.email.as_str().ends_with(".invalid"));
        assert_eq!(c.gifts[1].received_on, Date::constant(2026, 11, 20));
        assert_eq!(c.total().cents(), 7050);
    }

    #[test]
    fn a_header_names_columns_in_any_order_and_unknown_ones_are_reported() {
        let text = "Nom;Prénom;Montant;N° chèque;Code postal;Ville;Adresse;Reçu;Date\n\
                    Martin;Jeanne;\"1 200,00\";0012345;75011;Paris;1 rue Oberkampf;;25/11/2026\n";
        let c = check(text, defaults());
        assert!(c.refused.is_empty(), "{:?}", c.refused);
        assert!(c.layout.has_header);
        assert_eq!(c.layout.ignored, vec!["N° chèque".to_owned()]);
        let g = &c.gifts[0];
        assert_eq!(g.line, 2);
        assert_eq!(g.draft.amount.cents(), 120_000);
        assert_eq!(g.draft.last_name, "Martin");
        assert_eq!(g.draft.postcode, "75011");
        assert!(g.draft.wants_receipt, "empty receipt cell: the batch's choice");
        assert_eq!(g.received_on, Date::constant(2026, 11, 25));
    }

    #[test]
    fn comma_separated_with_quotes() {
        let text = "montant,prenom,nom,email\n\"12,50\",Ana,Lopez,ana@example.org\n";
        let mut d = defaults();
        d.receipt = false;
        let c = check(text, d);
        assert!(c.refused.is_empty(), "{:?}", c.refused);
        assert_eq!(c.gifts[0].draft.amount.cents(), 1250);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_nothing_is_kept() {
        let text = "montant;prénom;nom;email;adresse;code postal;ville;reçu;date\n\
                    50;Jeanne;Martin;;1 rue A;69003;Lyon;oui;\n\
                    -5;Paul;Durand;;;;;non;\n\
                    30;;Petit;pas-un-email;;;;peut-être;\n\
                    40;Luc;Roy;;;;;oui;\n\
                    10;Eve;Blanc;;;;;non;2030-01-01\n";
        let c = check(text, defaults());
        assert!(c.gifts.is_empty(), "one bad line: nothing is recorded");
        let lines: Vec<usize> = c.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        let fields = |line: usize| -> Vec<&str> {
            let r = c.refused.iter().find(|r| r.line == line).unwrap();
            r.errors.iter().map(|e| e.field).collect()
        };
        assert_eq!(fields(3), vec!["amount"]);
        assert!(fields(4).contains(&"first_name"));
        assert!(fields(4).contains(&"email"));
        assert!(fields(4).contains(&"receipt"));
        // A receipt needs the donor's address.
        assert!(fields(5).contains(&"address"));
        assert_eq!(fields(6), vec!["received_on"]);
    }

    #[test]
    fn no_receipt_when_the_association_is_not_eligible() {
        let mut d = defaults();
        d.tax_eligible = false;
        let c = check("25;Jeanne;Martin;;;;;oui\n", d);
        assert!(c.refused.is_empty(), "{:?}", c.refused);
        assert!(!c.gifts[0].draft.wants_receipt);
    }

    #[test]
    fn empty_header_only_or_too_long_batches_are_refused() {
        assert_eq!(check(" \n\n", defaults()).refused[0].errors[0].code, "err-batch-empty");
        assert_eq!(
            check("montant;nom\n", defaults()).refused[0].errors[0].code,
            "err-batch-empty"
        );
        assert_eq!(
            check("nom;prénom\nMartin;Jeanne\n", defaults()).refused[0].errors[0].code,
            "err-batch-no-amount"
        );
        let many: String = (0..=MAX_LINES).map(|_| "5;A;B;;;;;non\n").collect();
        let c = check(&many, defaults());
        assert!(c.gifts.is_empty());
        assert_eq!(c.refused.last().unwrap().errors[0].code, "err-batch-too-long");
    }

    #[test]
    fn broken_quoting_is_a_reported_line() {
        let c = check("5;\"A;B;;;;;non\n7;C;D;;;;;non\n", defaults());
        assert!(c.gifts.is_empty());
        assert_eq!(c.refused[0].line, 1);
        assert_eq!(c.refused[0].errors[0].code, "err-batch-quoting");
    }

    #[test]
    fn header_names_in_english_and_french() {
        for (cell, column) in [
            ("Montant", Column::Amount),
            ("first_name", Column::FirstName),
            ("E-mail", Column::Email),
            ("Code Postal", Column::Postcode),
            ("Reçu fiscal", Column::Receipt),
            ("Received on", Column::Date),
        ] {
            assert_eq!(Column::from_header(cell), Some(column), "{cell}");
        }
        assert_eq!(Column::from_header("Banque"), None);
    }

    #[test]
    fn dates_in_both_notations() {
        assert_eq!(parse_date("2026-11-05"), Some(Date::constant(2026, 11, 5)));
        assert_eq!(parse_date("5/11/2026"), Some(Date::constant(2026, 11, 5)));
        assert_eq!(parse_date("05.11.26"), Some(Date::constant(2026, 11, 5)));
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_date("hier"), None);
    }
}
