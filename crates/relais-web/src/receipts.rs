//! Tax receipts (CERFA n°11580) from an association's settings and a paid gift:
//! what the PDF says, in the words the form asks for.

use relais_core::amount_words::euros_in_words;
use relais_core::money::Money;
use relais_store::{Gift, Org, Receipt};

use crate::WebConfig;

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
pub(crate) fn download(
    org: &Org,
    gift: &Gift,
    receipt: &Receipt,
    config: &WebConfig,
) -> Result<axum::response::Response, crate::AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let bytes = pdf(org, gift, receipt, config).map_err(crate::AppError::Internal)?;
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

/// The receipt of `gift` as a PDF.
pub(crate) fn pdf(org: &Org, gift: &Gift, receipt: &Receipt, _config: &WebConfig) -> Result<Vec<u8>, String> {
    let amount = Money::from_cents(receipt.amount_cents);
    let legal_id = if org.rna.is_empty() {
        format!("SIREN {}", org.siren)
    } else {
        format!("RNA {}", org.rna)
    };
    let donor_name = format!("{} {}", gift.first_name, gift.last_name);
    let donor_address = format!("{}\n{} {}", gift.address, gift.postcode, gift.city);
    let city = org.address.lines().last().unwrap_or_default().trim().to_owned();
    let issued = day(receipt.issued_at, &org.timezone);
    let place_and_date = if city.is_empty() {
        format!("Le {issued}")
    } else {
        format!("{city}, le {issued}")
    };
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
        gift_dates: &day(gift.paid_at.unwrap_or(gift.created_at), &org.timezone),
        articles: "200 du CGI",
        form: "Déclaration de don manuel",
        nature: "Numéraire",
        method: method_label(&gift.method),
        place_and_date: &place_and_date,
        signatory: &org.name,
        replaces: None,
    };
    crate::receipt_pdf::render(&r).map_err(|e| e.to_string())
}
