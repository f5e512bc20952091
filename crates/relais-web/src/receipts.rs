//! Tax receipts (CERFA n°11580) from an association's settings and a paid gift:
//! what the PDF says, in the words the form asks for.

use relais_core::amount_words::euros_in_words;
use relais_core::money::Money;
use relais_store::{Gift, Org, Receipt};

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::{AppError, AppState};

/// How a gift's payment method is named on the receipt.
fn method_label(method: &str) -> &'static str {
    match method {
        "card" => "Carte bancaire",
        "sepa" => "Prélèvement",
        "cheque" => "Chèque",
        "cash" => "Espèces",
        "transfer" => "Virement",
        "offline" => "Autre",
        _ => "Autre",
    }
}

/// `dd/mm/yyyy` in the association's time zone.
fn day(ts: i64, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(ts)
        .map(|t| t.to_zoned(zone).strftime("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// The receipt as a PDF download (`recu-fiscal-{number}.pdf`), never cached.
pub(crate) async fn download(state: &AppState, org: &Org, receipt: &Receipt) -> Result<Response, AppError> {
    let bytes = pdf_of(state.store.as_ref(), org, receipt).await?;
    let disposition = format!("attachment; filename=\"recu-fiscal-{}.pdf\"", receipt.number);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// A stored receipt as a PDF: its gifts and, for a replacement, the number it replaces.
pub(crate) async fn pdf_of(store: &dyn relais_store::Store, org: &Org, receipt: &Receipt) -> Result<Vec<u8>, AppError> {
    let gifts = store.receipt_gifts(receipt).await?;
    let replaced = match receipt.replaces_id {
        Some(id) => store.receipt_by_id(id).await?.map(|r| r.number),
        None => None,
    };
    pdf(org, &gifts, receipt, replaced.as_deref()).map_err(AppError::Internal)
}

/// "15/03/2026" for one gift; for an annual receipt, the period and each gift.
fn dates_of(gifts: &[Gift], receipt: &Receipt, tz: &str) -> String {
    let date = |g: &Gift| day(g.paid_at.unwrap_or(g.created_at), tz);
    match gifts {
        [one] if receipt.kind != "annual" => date(one),
        _ => {
            let each: Vec<String> = gifts
                .iter()
                .map(|g| format!("{} ({})", date(g), Money::from_cents(g.amount_cents)))
                .collect();
            format!("du 01/01/{y} au 31/12/{y}\u{a0}: {}", each.join(", "), y = receipt.year)
        }
    }
}

/// The receipt covering `gifts` as a PDF (the donor as the latest gift names them).
pub(crate) fn pdf(org: &Org, gifts: &[Gift], receipt: &Receipt, replaces: Option<&str>) -> Result<Vec<u8>, String> {
    let donor = gifts.last().ok_or("a receipt without gift")?;
    let amount = Money::from_cents(receipt.amount_cents);
    let legal_id = if org.rna.is_empty() {
        format!("SIREN {}", org.siren)
    } else {
        format!("RNA {}", org.rna)
    };
    let donor_name = format!("{} {}", donor.first_name, donor.last_name);
    let donor_address = format!("{}\n{} {}", donor.address, donor.postcode, donor.city);
    let city = org.address.lines().last().unwrap_or_default().trim().to_owned();
    let issued = day(receipt.issued_at, &org.timezone);
    let place_and_date = if city.is_empty() {
        format!("Le {issued}")
    } else {
        format!("{city}, le {issued}")
    };
    let mut methods: Vec<&str> = gifts.iter().map(|g| method_label(&g.method)).collect();
    methods.sort_unstable();
    methods.dedup();
    let r = crate::receipt_pdf::Receipt {
        number: &receipt.number,
        org_name: if org.legal_name.is_empty() {
            &org.name
        } else {
            &org.legal_name
        },
        org_legal_id: &legal_id,
        org_address: &org.address,
        org_purpose: &org.purpose,
        org_kind: "Association loi 1901 d’intérêt général",
        donor_name: &donor_name,
        donor_address: &donor_address,
        amount_figures: &amount.to_string(),
        amount_words: &euros_in_words(amount),
        gift_dates: &dates_of(gifts, receipt, &org.timezone),
        articles: "200 du CGI",
        form: "Déclaration de don manuel",
        nature: "Numéraire",
        method: &methods.join(", "),
        place_and_date: &place_and_date,
        signatory: &org.name,
        replaces,
    };
    crate::receipt_pdf::render(&r).map_err(|e| e.to_string())
}
