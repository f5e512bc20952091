//! SEPA Core direct-debit collection files (ISO 20022 pain.008.001.02), the file
//! an association uploads to its bank to collect the gifts of its donors.
//!
//! Everything is checked before a byte is written, so the bank never receives a
//! half-valid file: amounts, identifiers and their uniqueness. Free text goes
//! through [`sepa_text`], identifiers through [`sepa_id`], and the XML escaping
//! is left to quick-xml.

use std::collections::HashSet;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use relais_core::iban::{Bic, CreditorId, Iban, sepa_id, sepa_text};

/// The XML namespace of pain.008.001.02.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02";

/// Largest amount a SEPA transaction may carry, in cents (999,999,999.99 EUR).
pub const MAX_AMOUNT_CENTS: i64 = 99_999_999_999;

/// Identifiers are `Max35Text` in the schema.
const MAX_ID: usize = 35;
/// Names: the schema allows 140, the EPC rulebook 70.
const MAX_NAME: usize = 70;
/// Unstructured remittance information.
const MAX_REMITTANCE: usize = 140;
/// The message id is also the prefix of every `PmtInfId` (`<message id>-FRST`).
const MAX_MESSAGE_ID: usize = MAX_ID - 5;

/// Why a collection cannot be turned into a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pain008Error {
    /// A file without a single debit.
    #[error("the collection has no debit")]
    NoDebits,
    /// An amount that is zero, negative, or above what SEPA carries.
    #[error("debit {end_to_end_id}: the amount must be between 0.01 and 999,999,999.99 EUR")]
    BadAmount {
        /// The debit at fault.
        end_to_end_id: String,
        /// The amount given, in cents.
        amount_cents: i64,
    },
    /// Two debits with the same end-to-end id, which the bank uses to report returns.
    #[error("the end-to-end id {0} is used by two debits")]
    DuplicateEndToEndId(String),
    /// An identifier longer than the schema allows.
    #[error("the {field} {value:?} is longer than {max} characters")]
    IdTooLong {
        /// Which identifier (message id, end-to-end id, mandate id).
        field: &'static str,
        /// The identifier, cleaned.
        value: String,
        /// The longest allowed.
        max: usize,
    },
    /// An identifier or name left empty once reduced to the characters SEPA allows.
    #[error("the {field} is empty once reduced to the characters SEPA allows")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A sequence type code other than FRST, RCUR, OOFF or FNAL.
    #[error("{0:?} is not a SEPA sequence type (FRST, RCUR, OOFF or FNAL)")]
    UnknownSequenceType(String),
}

/// Where a debit stands in the life of its mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SequenceType {
    /// The first debit of a recurring mandate.
    First,
    /// A following debit of a recurring mandate.
    Recurring,
    /// The only debit of a one-off mandate.
    OneOff,
    /// The last debit of a recurring mandate.
    Final,
}

impl SequenceType {
    /// Every sequence type, in the order their batches appear in a file.
    pub const ALL: [SequenceType; 4] = [Self::First, Self::Recurring, Self::OneOff, Self::Final];

    /// The ISO 20022 code: `FRST`, `RCUR`, `OOFF` or `FNAL`.
    pub fn code(self) -> &'static str {
        match self {
            Self::First => "FRST",
            Self::Recurring => "RCUR",
            Self::OneOff => "OOFF",
            Self::Final => "FNAL",
        }
    }

    /// Reads an ISO 20022 code back.
    pub fn parse(code: &str) -> Result<Self, Pain008Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| Pain008Error::UnknownSequenceType(code.to_owned()))
    }
}

/// The association collecting the money.
#[derive(Debug, Clone)]
pub struct Creditor {
    /// Name as registered with the bank.
    pub name: String,
    /// Account credited.
    pub iban: Iban,
    /// Bank of that account.
    pub bic: Bic,
    /// SEPA creditor identifier (ICS).
    pub creditor_id: CreditorId,
}

/// One donor's debit.
#[derive(Debug, Clone)]
pub struct Debit {
    /// Unique reference of this debit, echoed back by the bank on returns.
    pub end_to_end_id: String,
    /// Amount in euro cents.
    pub amount_cents: i64,
    /// Unique mandate reference (RUM in France).
    pub mandate_id: String,
    /// Day the donor signed the mandate.
    pub mandate_signed: jiff::civil::Date,
    /// Where this debit stands in the mandate's life.
    pub sequence: SequenceType,
    /// Account holder's name.
    pub debtor_name: String,
    /// Account debited.
    pub debtor_iban: Iban,
    /// Donor's bank, when known (optional inside the EEA).
    pub debtor_bic: Option<Bic>,
    /// Text shown on the donor's statement.
    pub remittance: String,
}

/// A collection: one file, one creditor, one collection date.
#[derive(Debug, Clone)]
pub struct Collection {
    /// Unique id of the file (at most 30 characters: batch ids append `-FRST`).
    pub message_id: String,
    /// Moment the file was made, written in UTC without fraction.
    pub created_at: jiff::Timestamp,
    /// Name of the party sending the file, usually the association.
    pub initiating_party: String,
    /// The association collecting the money.
    pub creditor: Creditor,
    /// Day the debits are due.
    pub collection_date: jiff::civil::Date,
    /// The debits, at least one.
    pub debits: Vec<Debit>,
}

/// Sum of the amounts, in cents.
pub fn control_sum(debits: &[Debit]) -> i64 {
    sum_cents(debits.iter())
}

fn sum_cents<'a>(debits: impl Iterator<Item = &'a Debit>) -> i64 {
    // Each amount is capped at MAX_AMOUNT_CENTS, so an overflow would need ninety
    // million debits; saturating keeps that absurd case from panicking.
    debits.fold(0i64, |sum, d| sum.saturating_add(d.amount_cents))
}

/// An amount in cents as the schema's decimal: `1250` → `12.50`.
fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// An identifier reduced to the EPC set, refused rather than cut when too long,
/// since a cut reference would no longer match the one the donor was given.
fn identifier(field: &'static str, raw: &str, max: usize) -> Result<String, Pain008Error> {
    let id = sepa_id(raw, usize::MAX);
    if id.is_empty() {
        return Err(Pain008Error::Empty { field });
    }
    if id.len() > max {
        return Err(Pain008Error::IdTooLong { field, value: id, max });
    }
    Ok(id)
}

/// A name reduced to the SEPA character set, cut to fit.
fn name(field: &'static str, raw: &str) -> Result<String, Pain008Error> {
    let name = sepa_text(raw, MAX_NAME);
    if name.is_empty() {
        return Err(Pain008Error::Empty { field });
    }
    Ok(name)
}

/// A debit checked and cleaned, ready to write.
struct CleanDebit<'a> {
    debit: &'a Debit,
    end_to_end_id: String,
    mandate_id: String,
    debtor_name: String,
    remittance: String,
}

fn clean_debits(debits: &[Debit]) -> Result<Vec<CleanDebit<'_>>, Pain008Error> {
    if debits.is_empty() {
        return Err(Pain008Error::NoDebits);
    }
    let mut seen = HashSet::new();
    let mut clean = Vec::with_capacity(debits.len());
    for debit in debits {
        let end_to_end_id = identifier("end-to-end id", &debit.end_to_end_id, MAX_ID)?;
        if !(1..=MAX_AMOUNT_CENTS).contains(&debit.amount_cents) {
            return Err(Pain008Error::BadAmount {
                end_to_end_id,
                amount_cents: debit.amount_cents,
            });
        }
        // Compared after cleaning: two ids differing only by an accent would
        // reach the bank as the same reference.
        if !seen.insert(end_to_end_id.clone()) {
            return Err(Pain008Error::DuplicateEndToEndId(end_to_end_id));
        }
        clean.push(CleanDebit {
            debit,
            end_to_end_id,
            mandate_id: identifier("mandate id", &debit.mandate_id, MAX_ID)?,
            debtor_name: name("debtor name", &debit.debtor_name)?,
            remittance: sepa_text(&debit.remittance, MAX_REMITTANCE),
        });
    }
    Ok(clean)
}

/// Renders the collection as a pain.008.001.02 SEPA Core file, one batch
/// (`PmtInf`) per sequence type present, in the order FRST, RCUR, OOFF, FNAL.
pub fn render(c: &Collection) -> Result<String, Pain008Error> {
    let message_id = identifier("message id", &c.message_id, MAX_MESSAGE_ID)?;
    let initiating_party = name("initiating party", &c.initiating_party)?;
    let creditor_name = name("creditor name", &c.creditor.name)?;
    let debits = clean_debits(&c.debits)?;
    let file = File {
        c,
        message_id,
        initiating_party,
        creditor_name,
        debits,
    };
    let mut xml = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    // Writing into a Vec<u8> cannot fail, and every string written is UTF-8.
    file.write(&mut xml).expect("writing XML into memory cannot fail");
    Ok(String::from_utf8(xml.0.into_inner()).expect("the XML is built from UTF-8 strings"))
}

/// A collection whose every field has been checked.
struct File<'a> {
    c: &'a Collection,
    message_id: String,
    initiating_party: String,
    creditor_name: String,
    debits: Vec<CleanDebit<'a>>,
}

impl File<'_> {
    fn write(&self, xml: &mut Xml) -> io::Result<()> {
        xml.0
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let document = BytesStart::new("Document").with_attributes([("xmlns", NAMESPACE)]);
        xml.0.write_event(Event::Start(document))?;
        xml.open("CstmrDrctDbtInitn")?;

        xml.open("GrpHdr")?;
        xml.leaf("MsgId", &self.message_id)?;
        xml.leaf("CreDtTm", &self.c.created_at.strftime("%Y-%m-%dT%H:%M:%S").to_string())?;
        xml.leaf("NbOfTxs", &self.debits.len().to_string())?;
        xml.leaf("CtrlSum", &euros(sum_cents(self.debits.iter().map(|d| d.debit))))?;
        xml.path(&["InitgPty", "Nm"], &self.initiating_party)?;
        xml.close("GrpHdr")?;

        for sequence in SequenceType::ALL {
            let batch: Vec<&CleanDebit> = self.debits.iter().filter(|d| d.debit.sequence == sequence).collect();
            if !batch.is_empty() {
                self.write_batch(xml, sequence, &batch)?;
            }
        }

        xml.close("CstmrDrctDbtInitn")?;
        xml.close("Document")
    }

    fn write_batch(&self, xml: &mut Xml, sequence: SequenceType, batch: &[&CleanDebit]) -> io::Result<()> {
        let creditor = &self.c.creditor;
        xml.open("PmtInf")?;
        xml.leaf("PmtInfId", &format!("{}-{}", self.message_id, sequence.code()))?;
        xml.leaf("PmtMtd", "DD")?;
        xml.leaf("BtchBookg", "true")?;
        xml.leaf("NbOfTxs", &batch.len().to_string())?;
        xml.leaf("CtrlSum", &euros(sum_cents(batch.iter().map(|d| d.debit))))?;
        xml.open("PmtTpInf")?;
        xml.path(&["SvcLvl", "Cd"], "SEPA")?;
        xml.path(&["LclInstrm", "Cd"], "CORE")?;
        xml.leaf("SeqTp", sequence.code())?;
        xml.close("PmtTpInf")?;
        xml.leaf("ReqdColltnDt", &self.c.collection_date.to_string())?;
        xml.path(&["Cdtr", "Nm"], &self.creditor_name)?;
        xml.path(&["CdtrAcct", "Id", "IBAN"], creditor.iban.as_str())?;
        xml.path(&["CdtrAgt", "FinInstnId", "BIC"], creditor.bic.as_str())?;
        xml.leaf("ChrgBr", "SLEV")?;
        xml.open("CdtrSchmeId")?;
        xml.open("Id")?;
        xml.open("PrvtId")?;
        xml.open("Othr")?;
        xml.leaf("Id", creditor.creditor_id.as_str())?;
        xml.path(&["SchmeNm", "Prtry"], "SEPA")?;
        xml.close("Othr")?;
        xml.close("PrvtId")?;
        xml.close("Id")?;
        xml.close("CdtrSchmeId")?;
        for debit in batch {
            write_transaction(xml, debit)?;
        }
        xml.close("PmtInf")
    }
}

fn write_transaction(xml: &mut Xml, d: &CleanDebit) -> io::Result<()> {
    xml.open("DrctDbtTxInf")?;
    xml.path(&["PmtId", "EndToEndId"], &d.end_to_end_id)?;
    xml.0
        .create_element("InstdAmt")
        .with_attribute(("Ccy", "EUR"))
        .write_text_content(BytesText::new(&euros(d.debit.amount_cents)))?;
    xml.open("DrctDbtTx")?;
    xml.open("MndtRltdInf")?;
    xml.leaf("MndtId", &d.mandate_id)?;
    xml.leaf("DtOfSgntr", &d.debit.mandate_signed.to_string())?;
    xml.close("MndtRltdInf")?;
    xml.close("DrctDbtTx")?;
    match &d.debit.debtor_bic {
        Some(bic) => xml.path(&["DbtrAgt", "FinInstnId", "BIC"], bic.as_str())?,
        // The EPC's agreed value when the donor's bank is not known.
        None => xml.path(&["DbtrAgt", "FinInstnId", "Othr", "Id"], "NOTPROVIDED")?,
    }
    xml.path(&["Dbtr", "Nm"], &d.debtor_name)?;
    xml.path(&["DbtrAcct", "Id", "IBAN"], d.debit.debtor_iban.as_str())?;
    if !d.remittance.is_empty() {
        xml.path(&["RmtInf", "Ustrd"], &d.remittance)?;
    }
    xml.close("DrctDbtTxInf")
}

/// A thin layer over quick-xml's writer for the nested elements pain.008 is made of.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn open(&mut self, tag: &str) -> io::Result<()> {
        self.0.write_event(Event::Start(BytesStart::new(tag)))
    }

    fn close(&mut self, tag: &str) -> io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(tag)))
    }

    /// `<tag>text</tag>`, the text escaped by quick-xml.
    fn leaf(&mut self, tag: &str, text: &str) -> io::Result<()> {
        self.0.create_element(tag).write_text_content(BytesText::new(text))?;
        Ok(())
    }

    /// `<a><b><c>text</c></b></a>` for `path(&["a", "b", "c"], text)`.
    fn path(&mut self, tags: &[&str], text: &str) -> io::Result<()> {
        let Some((last, outer)) = tags.split_last() else {
            return Ok(());
        };
        for tag in outer {
            self.open(tag)?;
        }
        self.leaf(last, text)?;
        for tag in outer.iter().rev() {
            self.close(tag)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn creditor() -> Creditor {
        Creditor {
            name: "Les Amis de la Forêt".into(),
            iban: Iban::parse("FR7630006000011234567890189").expect("valid IBAN"),
            bic: Bic::parse("AGRIFRPP882").expect("valid BIC"),
            creditor_id: CreditorId::parse("FR72ZZZ123456").expect("valid ICS"),
        }
    }

    fn debit(id: &str, cents: i64, sequence: SequenceType) -> Debit {
        Debit {
            end_to_end_id: id.into(),
            amount_cents: cents,
            mandate_id: format!("RUM-{id}"),
            mandate_signed: date(2026, 1, 15),
            sequence,
            debtor_name: "Zoé Lefèvre".into(),
            debtor_iban: Iban::parse("DE89370400440532013000").expect("valid IBAN"),
            debtor_bic: None,
            remittance: "Don mensuel".into(),
        }
    }

    fn collection(debits: Vec<Debit>) -> Collection {
        Collection {
            message_id: "RELAIS-2026-11".into(),
            created_at: "2026-11-27T10:00:00.123Z".parse().expect("valid timestamp"),
            initiating_party: "Les Amis de la Forêt".into(),
            creditor: creditor(),
            collection_date: date(2026, 12, 5),
            debits,
        }
    }

    #[test]
    fn amounts_are_written_from_cents_with_two_decimals() {
        assert_eq!(euros(1), "0.01");
        assert_eq!(euros(1250), "12.50");
        assert_eq!(euros(MAX_AMOUNT_CENTS), "999999999.99");
    }

    #[test]
    fn sequence_codes_read_back() {
        for s in SequenceType::ALL {
            assert_eq!(SequenceType::parse(s.code()), Ok(s));
        }
        assert!(SequenceType::parse("rcur").is_err());
    }

    #[test]
    fn batches_follow_the_sequence_order_whatever_the_input_order() {
        let xml = render(&collection(vec![
            debit("E2E-3", 500, SequenceType::Final),
            debit("E2E-1", 1250, SequenceType::Recurring),
            debit("E2E-2", 2000, SequenceType::First),
        ]))
        .expect("valid collection");
        let rcur = xml.find("RELAIS-2026-11-RCUR").expect("RCUR batch");
        let frst = xml.find("RELAIS-2026-11-FRST").expect("FRST batch");
        let fnal = xml.find("RELAIS-2026-11-FNAL").expect("FNAL batch");
        assert!(frst < rcur && rcur < fnal);
        assert!(!xml.contains("OOFF"));
        assert!(xml.contains("<CreDtTm>2026-11-27T10:00:00</CreDtTm>"));
        assert!(xml.contains("<NbOfTxs>3</NbOfTxs>\n      <CtrlSum>37.50</CtrlSum>"));
        assert!(xml.contains("<InstdAmt Ccy=\"EUR\">12.50</InstdAmt>"));
        assert!(xml.contains("<Nm>Zoe Lefevre</Nm>"));
        assert!(xml.contains("<Nm>Les Amis de la Foret</Nm>"));
        assert!(xml.contains("<Othr>\n              <Id>NOTPROVIDED</Id>"));
    }

    #[test]
    fn a_known_debtor_bank_is_named_by_its_bic() {
        let mut d = debit("E2E-1", 1250, SequenceType::OneOff);
        d.debtor_bic = Some(Bic::parse("DEUTDEFF").expect("valid BIC"));
        let xml = render(&collection(vec![d])).expect("valid collection");
        assert!(xml.contains("<BIC>DEUTDEFF</BIC>"));
        assert!(!xml.contains("NOTPROVIDED"));
    }

    #[test]
    fn quotes_left_in_names_are_escaped_by_the_writer() {
        let mut d = debit("E2E-1", 1250, SequenceType::OneOff);
        d.debtor_name = "Association l’Île".into();
        let xml = render(&collection(vec![d])).expect("valid collection");
        assert!(xml.contains("<Nm>Association l&apos;Ile</Nm>"), "{xml}");
    }

    #[test]
    fn an_empty_collection_is_refused() {
        assert_eq!(render(&collection(vec![])), Err(Pain008Error::NoDebits));
    }

    #[test]
    fn zero_negative_and_huge_amounts_are_refused() {
        for cents in [0, -100, MAX_AMOUNT_CENTS + 1] {
            let err = render(&collection(vec![debit("E2E-1", cents, SequenceType::First)]));
            assert_eq!(
                err,
                Err(Pain008Error::BadAmount {
                    end_to_end_id: "E2E-1".into(),
                    amount_cents: cents
                })
            );
        }
    }

    #[test]
    fn end_to_end_ids_must_be_unique_after_cleaning() {
        let err = render(&collection(vec![
            debit("don-é", 100, SequenceType::First),
            debit("don-e", 100, SequenceType::Recurring),
        ]));
        assert_eq!(err, Err(Pain008Error::DuplicateEndToEndId("don-e".into())));
    }

    #[test]
    fn identifiers_are_refused_rather_than_cut() {
        let long = "X".repeat(36);
        let err = render(&collection(vec![debit(&long, 100, SequenceType::First)]));
        assert!(matches!(
            err,
            Err(Pain008Error::IdTooLong {
                field: "end-to-end id",
                max: 35,
                ..
            })
        ));

        let mut c = collection(vec![debit("E2E-1", 100, SequenceType::First)]);
        c.message_id = "M".repeat(31);
        assert!(matches!(
            render(&c),
            Err(Pain008Error::IdTooLong {
                field: "message id",
                max: 30,
                ..
            })
        ));

        c.message_id = "//".into();
        assert_eq!(render(&c), Err(Pain008Error::Empty { field: "message id" }));
    }

    #[test]
    fn a_debtor_name_made_only_of_symbols_is_refused() {
        let mut d = debit("E2E-1", 100, SequenceType::First);
        d.debtor_name = "<@>".into();
        assert_eq!(
            render(&collection(vec![d])),
            Err(Pain008Error::Empty { field: "debtor name" })
        );
    }

    #[test]
    fn the_control_sum_adds_every_debit() {
        let debits = [
            debit("a", 1250, SequenceType::First),
            debit("b", 750, SequenceType::Recurring),
        ];
        assert_eq!(control_sum(&debits), 2000);
    }
}
