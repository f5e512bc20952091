//! The collection file checked against the official pain.008.001.02 schema, the
//! one banks validate uploads with. The schema ships with the PyPI package
//! `sepaxml`, validated by `xmlschema`; without them the schema tests are
//! skipped, unless `RELAIS_REQUIRE_XSD=1` makes that a failure (as in CI).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::Command;

use jiff::civil::date;
use quick_xml::Reader;
use quick_xml::events::Event;
use relais_core::iban::{Bic, CreditorId, Iban};
use relais_payments::pain008::{Collection, Creditor, Debit, Pain008Error, SequenceType, render};

/// Validates the file given as argument; exit 3 when the validator is missing.
const VALIDATOR: &str = r#"
import os, sys
try:
    import sepaxml, xmlschema
except ImportError as e:
    print(f"python module missing: {e}")
    sys.exit(3)
xsd = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.02.xsd")
if not os.path.exists(xsd):
    print(f"schema not found at {xsd}")
    sys.exit(3)
errors = list(xmlschema.XMLSchema(xsd).iter_errors(sys.argv[1]))
for e in errors:
    print(f"{e.path}: {e.reason}")
sys.exit(1 if errors else 0)
"#;

enum Verdict {
    Valid,
    Invalid(String),
    Unavailable(String),
}

fn validate(xml: &str) -> Verdict {
    let mut file = tempfile::Builder::new().suffix(".xml").tempfile().expect("temp file");
    file.write_all(xml.as_bytes()).expect("write temp file");
    let output = match Command::new("python3")
        .arg("-c")
        .arg(VALIDATOR)
        .arg(file.path())
        .output()
    {
        Ok(output) => output,
        Err(e) => return Verdict::Unavailable(format!("cannot run python3: {e}")),
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    match output.status.code() {
        Some(0) => Verdict::Valid,
        Some(3) => Verdict::Unavailable(report),
        _ => Verdict::Invalid(report),
    }
}

/// `true` when the test should go on; prints why it is skipped otherwise.
fn validator_available(verdict: &Verdict) -> bool {
    let Verdict::Unavailable(why) = verdict else {
        return true;
    };
    let why = why.trim();
    assert!(
        std::env::var("RELAIS_REQUIRE_XSD").as_deref() != Ok("1"),
        "RELAIS_REQUIRE_XSD=1 but the XSD validator is unavailable: {why} (pip install sepaxml)"
    );
    println!("skipped: the pain.008 XSD validator is unavailable ({why}); pip install sepaxml");
    false
}

fn iban(s: &str) -> Iban {
    Iban::parse(s).expect("example IBAN is valid")
}

/// Seven gifts over the four sequence types, as a November collection might hold.
fn november_collection() -> Collection {
    use SequenceType::{Final, First, OneOff, Recurring};
    #[rustfmt::skip]
    let gifts = [
        ("E2E-0001", 1250, Recurring, "Renée & Jérôme Dupré", "FR1420041010050500013M02606", ""),
        ("E2E-0002", 1500, First, "Zoé Lefèvre", "BE68539007547034", "GEBABEBB"),
        ("E2E-0003", 5000, OneOff, "Jean-Michel O’Brien", "IE29AIBK93115212345678", "AIBKIE2D"),
        ("E2E-0004", 3000, Recurring, "Anaïs Çelik <anais@example.org>", "DE89370400440532013000", ""),
        ("E2E-0005", 999, Final, "Ægir Þórsson", "NL91ABNA0417164300", "ABNANL2A"),
        ("E2E-0006", 2500, First, "François Müller-Øberg", "ES9121000418450200051332", ""),
        ("E2E-0007", 10000, Recurring, "Œuvre Sociale du Cœur", "IT60X0542811101000000123456", ""),
    ];
    let debits = gifts
        .into_iter()
        .map(|(id, cents, sequence, name, account, bank)| Debit {
            end_to_end_id: id.into(),
            amount_cents: cents,
            mandate_id: format!("RELAIS-RUM-{id}"),
            mandate_signed: date(2026, 3, 14),
            sequence,
            debtor_name: name.into(),
            debtor_iban: iban(account),
            debtor_bic: (!bank.is_empty()).then(|| Bic::parse(bank).expect("example BIC is valid")),
            remittance: "Don mensuel – Forêt & Océans, merci !".into(),
        })
        .collect();
    Collection {
        message_id: "RELAIS-2026-11-27-01".into(),
        created_at: "2026-11-27T10:00:00.5Z".parse().expect("valid timestamp"),
        initiating_party: "Les Amis de la Forêt & des Océans".into(),
        creditor: Creditor {
            name: "Les Amis de la Forêt & des Océans".into(),
            iban: iban("FR7630006000011234567890189"),
            bic: Bic::parse("AGRIFRPP882").expect("valid BIC"),
            creditor_id: CreditorId::parse("FR72ZZZ123456").expect("valid ICS"),
        },
        collection_date: date(2026, 12, 5),
        debits,
    }
}

#[test]
fn a_november_collection_passes_the_official_schema() {
    let xml = render(&november_collection()).expect("the collection is valid");
    let verdict = validate(&xml);
    if !validator_available(&verdict) {
        return;
    }
    if let Verdict::Invalid(errors) = verdict {
        panic!("the file breaks the pain.008.001.02 schema:\n{errors}\n{xml}");
    }
}

#[test]
fn the_validator_rejects_a_tampered_file() {
    let xml = render(&november_collection()).expect("the collection is valid");
    let tamperings = [
        ("<BtchBookg>true</BtchBookg>", "<BatchBooking>true</BatchBooking>"),
        (
            "<InstdAmt Ccy=\"EUR\">12.50</InstdAmt>",
            "<InstdAmt Ccy=\"EUR\">12,50</InstdAmt>",
        ),
        ("<SeqTp>RCUR</SeqTp>", "<SeqTp>MONTHLY</SeqTp>"),
    ];
    for (genuine, forged) in tamperings {
        assert!(xml.contains(genuine), "{genuine} not found in\n{xml}");
        let verdict = validate(&xml.replacen(genuine, forged, 1));
        if !validator_available(&verdict) {
            return;
        }
        let Verdict::Invalid(report) = verdict else {
            panic!("the validator accepted {forged}");
        };
        // A crash of the validator must not pass for a rejection.
        assert!(!report.contains("Traceback") && report.contains(": "), "{report}");
        println!("{forged} rejected: {}", report.trim());
    }
}

/// The `NbOfTxs` and `CtrlSum` of the group header and of each batch, read back,
/// with the count and sum of the transactions each batch really holds.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    declared_count: String,
    declared_sum: String,
    transactions: usize,
    amounts_cents: i64,
}

fn cents(amount: &str) -> i64 {
    let (euros, cents) = amount.split_once('.').expect("two decimals");
    assert_eq!(cents.len(), 2, "{amount}");
    euros.parse::<i64>().expect("euros") * 100 + cents.parse::<i64>().expect("cents")
}

fn read_totals(xml: &str) -> (Totals, BTreeMap<String, Totals>) {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut group = Totals::default();
    let mut batches: Vec<(String, Totals)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let tag = String::from_utf8(e.name().as_ref().to_vec()).expect("UTF-8 tag");
                if tag == "PmtInf" {
                    batches.push((String::new(), Totals::default()));
                } else if tag == "DrctDbtTxInf" {
                    batches.last_mut().expect("inside a batch").1.transactions += 1;
                }
                path.push(tag);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let text = t.decode().expect("UTF-8 text").into_owned();
                let tag = path.last().map(String::as_str).unwrap_or_default();
                let totals = if path.iter().any(|t| t == "GrpHdr") {
                    &mut group
                } else if let Some((code, totals)) = batches.last_mut() {
                    if tag == "SeqTp" {
                        *code = text;
                        continue;
                    }
                    totals
                } else {
                    continue;
                };
                match tag {
                    "NbOfTxs" => totals.declared_count = text,
                    "CtrlSum" => totals.declared_sum = text,
                    "InstdAmt" => totals.amounts_cents += cents(&text),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (group, batches.into_iter().collect())
}

#[test]
fn counts_and_control_sums_match_at_group_and_batch_level() {
    let xml = render(&november_collection()).expect("the collection is valid");
    let (group, batches) = read_totals(&xml);
    assert_eq!(group.declared_count, "7");
    assert_eq!(group.declared_sum, "242.49");

    let expected = [
        ("FRST", "2", "40.00"),
        ("RCUR", "3", "142.50"),
        ("OOFF", "1", "50.00"),
        ("FNAL", "1", "9.99"),
    ];
    assert_eq!(batches.len(), expected.len());
    for (code, count, sum) in expected {
        let batch = &batches[code];
        assert_eq!(
            (batch.declared_count.as_str(), batch.declared_sum.as_str()),
            (count, sum),
            "{code}"
        );
        assert_eq!(batch.transactions.to_string(), batch.declared_count, "{code}");
        assert_eq!(batch.amounts_cents, cents(&batch.declared_sum), "{code}");
    }
    // Batches come in the order FRST, RCUR, OOFF, FNAL whatever the input order.
    let order: Vec<usize> = ["-FRST<", "-RCUR<", "-OOFF<", "-FNAL<"]
        .iter()
        .map(|id| xml.find(id).expect("batch id"))
        .collect();
    assert!(order.is_sorted(), "{order:?}");
}

#[test]
fn names_and_remittance_are_in_the_sepa_character_set() {
    let xml = render(&november_collection()).expect("the collection is valid");
    assert!(xml.contains("<Nm>Renee + Jerome Dupre</Nm>"), "{xml}");
    assert!(xml.contains("<Nm>Jean-Michel O&apos;Brien</Nm>"), "{xml}");
    assert!(xml.contains("<Nm>Anais Celik anais example.org</Nm>"), "{xml}");
    assert!(xml.contains("<Nm>Oeuvre Sociale du Coeur</Nm>"), "{xml}");
    assert!(
        xml.contains("<Ustrd>Don mensuel - Foret + Oceans, merci</Ustrd>"),
        "{xml}"
    );
    assert!(xml.contains("<Id>NOTPROVIDED</Id>"));
    assert!(xml.is_ascii(), "only the SEPA character set reaches the bank");
}

#[test]
fn a_collection_with_a_repeated_end_to_end_id_is_refused() {
    let mut collection = november_collection();
    collection.debits[3].end_to_end_id = "E2E-0001".into();
    assert_eq!(
        render(&collection),
        Err(Pain008Error::DuplicateEndToEndId("E2E-0001".into()))
    );
}
