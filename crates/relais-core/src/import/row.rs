//! One row of an import: its cells checked against the mapping ([`check_row`]),
//! every problem named, and its merge with the person already known by the same
//! e-mail address ([`merge`]).

use std::collections::HashMap;

use super::records::{QuoteError, Record};
use super::{Field, MergePolicy, header_key};
use crate::email::Email;
use crate::locale::Locale;
use crate::phone::Phone;
use crate::places::{Places, Postcode};

/// The longest name, city or postcode taken.
const MAX_SHORT: usize = 100;
/// The longest street address taken.
const MAX_ADDRESS: usize = 300;
/// How much of a refused value the report keeps.
const MAX_DETAIL: usize = 80;

/// Why a row is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its quoting is broken.
    Quote(QuoteError),
    /// It has another number of cells than the header.
    Width {
        /// The header's.
        expected: usize,
        /// The row's.
        found: usize,
    },
    /// Its e-mail cell is empty.
    NoEmail,
    /// Its e-mail address is not one.
    BadEmail(String),
    /// Its phone number is not one.
    BadPhone(String),
    /// Its French postcode is not five digits.
    BadPostcode(String),
    /// Its country is neither an ISO code nor a known name.
    BadCountry(String),
    /// Its language is neither French nor English.
    BadLanguage(String),
    /// One of its tags or interests cannot be a tag.
    BadTag(String),
    /// A cell is longer than the field takes.
    TooLong(Field),
    /// Its e-mail address was already on an earlier line of the file.
    Duplicate {
        /// That line.
        first_line: usize,
    },
}

impl Problem {
    /// The stored reason, also the message id's suffix.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Quote(QuoteError::Unclosed) => "unclosed-quote",
            Self::Quote(QuoteError::Stray) => "stray-quote",
            Self::Width { .. } => "width",
            Self::NoEmail => "no-email",
            Self::BadEmail(_) => "bad-email",
            Self::BadPhone(_) => "bad-phone",
            Self::BadPostcode(_) => "bad-postcode",
            Self::BadCountry(_) => "bad-country",
            Self::BadLanguage(_) => "bad-language",
            Self::BadTag(_) => "bad-tag",
            Self::TooLong(_) => "too-long",
            Self::Duplicate { .. } => "duplicate",
        }
    }

    /// The stored detail: the refused value, a line, a field or the cell counts.
    pub fn detail(&self) -> String {
        let value = match self {
            Self::Quote(_) | Self::NoEmail => String::new(),
            Self::Width { expected, found } => format!("{expected}/{found}"),
            Self::BadEmail(v)
            | Self::BadPhone(v)
            | Self::BadPostcode(v)
            | Self::BadCountry(v)
            | Self::BadLanguage(v)
            | Self::BadTag(v) => v.clone(),
            Self::TooLong(f) => f.key().to_owned(),
            Self::Duplicate { first_line } => first_line.to_string(),
        };
        value.chars().take(MAX_DETAIL).collect()
    }
}

/// What a row brings for each field (`None`: the file says nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Incoming {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// The city as the file names it.
    pub city: Option<String>,
    /// The commune the French postcode gives, when it serves one commune only.
    pub postcode_commune: Option<String>,
    /// The postcode's coordinates.
    pub coordinates: Option<(f64, f64)>,
    /// ISO country code.
    pub country: Option<String>,
    /// Language code.
    pub locale: Option<String>,
}

/// A row that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Its line in the file.
    pub line: usize,
    /// The person's address, normalised.
    pub email: Email,
    /// Its values.
    pub incoming: Incoming,
    /// Its own tags (besides the batch's).
    pub tags: Vec<String>,
    /// Its interests.
    pub interests: Vec<String>,
}

/// The fields of a person an import may set, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFields {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E.164, if any.
    pub phone: Option<String>,
    /// Street address.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub commune: String,
    /// ISO country code.
    pub country: String,
    /// Language code.
    pub locale: String,
    /// Latitude, if known.
    pub latitude: Option<f64>,
    /// Longitude, if known.
    pub longitude: Option<f64>,
}

impl PersonFields {
    /// A person not known yet: nothing but the defaults (France, `locale`).
    pub fn blank(locale: Locale) -> Self {
        Self {
            first_name: String::new(),
            last_name: String::new(),
            phone: None,
            address: String::new(),
            postcode: String::new(),
            commune: String::new(),
            country: "FR".into(),
            locale: locale.code().into(),
            latitude: None,
            longitude: None,
        }
    }
}

/// The person after the import: `existing` (or [`PersonFields::blank`] for someone
/// new, with [`MergePolicy::Overwrite`]) merged with what the row brings. The commune
/// and coordinates a postcode gives follow that postcode: they never land beside
/// another postcode the person kept.
pub fn merge(existing: &PersonFields, row: &Incoming, policy: MergePolicy) -> PersonFields {
    let pick = |old: &str, new: &Option<String>| -> String {
        match (new, policy) {
            (Some(n), MergePolicy::Overwrite) => n.clone(),
            (Some(n), MergePolicy::FillEmpty) if old.is_empty() => n.clone(),
            _ => old.to_owned(),
        }
    };
    let postcode = pick(&existing.postcode, &row.postcode);
    let postcode_changed = postcode != existing.postcode;
    let from_postcode = row.postcode.as_deref() == Some(postcode.as_str()) && !postcode.is_empty();
    let city = row
        .city
        .clone()
        .or_else(|| from_postcode.then(|| row.postcode_commune.clone()).flatten());
    let commune = if postcode_changed && city.is_some() {
        city.unwrap_or_default()
    } else {
        pick(&existing.commune, &city)
    };
    let (latitude, longitude) = if from_postcode && (postcode_changed || existing.latitude.is_none()) {
        row.coordinates
            .map_or((None, None), |(lat, lon)| (Some(lat), Some(lon)))
    } else {
        (existing.latitude, existing.longitude)
    };
    let phone = match (&row.phone, policy, &existing.phone) {
        (Some(n), MergePolicy::Overwrite, _) | (Some(n), MergePolicy::FillEmpty, None) => Some(n.clone()),
        _ => existing.phone.clone(),
    };
    // Country and language always have a value: only an overwrite changes them.
    let always = |old: &str, new: &Option<String>| match (new, policy) {
        (Some(n), MergePolicy::Overwrite) => n.clone(),
        _ => old.to_owned(),
    };
    PersonFields {
        first_name: pick(&existing.first_name, &row.first_name),
        last_name: pick(&existing.last_name, &row.last_name),
        phone,
        address: pick(&existing.address, &row.address),
        postcode,
        commune,
        country: always(&existing.country, &row.country),
        locale: always(&existing.locale, &row.locale),
        latitude,
        longitude,
    }
}

/// The ISO code of a country as spreadsheets write it (a code or a common name).
pub(crate) fn country_code(raw: &str) -> Option<String> {
    let key = header_key(raw);
    let code = match key.as_str() {
        "france" => "FR",
        "belgique" | "belgium" => "BE",
        "suisse" | "switzerland" => "CH",
        "luxembourg" => "LU",
        "canada" => "CA",
        "allemagne" | "germany" | "deutschland" => "DE",
        "espagne" | "spain" | "espana" => "ES",
        "italie" | "italy" | "italia" => "IT",
        "royaumeuni" | "unitedkingdom" | "uk" => "GB",
        "etatsunis" | "unitedstates" | "usa" => "US",
        "maroc" | "morocco" => "MA",
        "algerie" | "algeria" => "DZ",
        "tunisie" | "tunisia" => "TN",
        "senegal" => "SN",
        "cotedivoire" => "CI",
        "portugal" => "PT",
        "paysbas" | "netherlands" => "NL",
        k if k.len() == 2 && k.bytes().all(|b| b.is_ascii_alphabetic()) => return Some(k.to_ascii_uppercase()),
        _ => return None,
    };
    Some(code.to_owned())
}

pub(crate) fn language(raw: &str) -> Option<Locale> {
    Locale::parse(raw.trim()).or_else(|| match header_key(raw).as_str() {
        "francais" | "french" => Some(Locale::Fr),
        "anglais" | "english" => Some(Locale::En),
        _ => None,
    })
}

/// Tags of a cell: separated by commas, semicolons or bars.
fn tags_of(cell: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    let mut tags = Vec::new();
    for raw in cell.split([',', ';', '|']).filter(|t| !t.trim().is_empty()) {
        match crate::tag::normalise(raw) {
            Some(t) if !tags.contains(&t) => tags.push(t),
            Some(_) => {}
            None => problems.push(Problem::BadTag(raw.trim().to_owned())),
        }
    }
    tags
}

/// Checks a record of `width` cells against `mapping` (one field or none per column).
pub fn check_row(record: &Record, mapping: &[Option<Field>], width: usize) -> Result<ImportRow, Vec<Problem>> {
    let found = record.cells.len();
    // Trailing empty cells (a spreadsheet's stray separators) are no extra column.
    let extra_filled = record.cells.iter().skip(width).any(|c| !c.is_empty());
    if found < width || extra_filled {
        return Err(vec![Problem::Width { expected: width, found }]);
    }
    let mut problems = Vec::new();
    let mut incoming = Incoming::default();
    let mut email = None;
    let mut tags = Vec::new();
    let mut interests = Vec::new();
    let mut country_fr = true;
    let mut postcode_raw = None;
    for (cell, field) in record.cells.iter().zip(mapping) {
        let Some(field) = field else { continue };
        let value = cell.trim();
        if value.is_empty() {
            continue;
        }
        let max = if *field == Field::Address {
            MAX_ADDRESS
        } else {
            MAX_SHORT
        };
        if !matches!(field, Field::Tags | Field::Interests) && value.chars().count() > max {
            problems.push(Problem::TooLong(*field));
            continue;
        }
        let text = Some(value.to_owned());
        match field {
            Field::Email => match Email::parse(value) {
                Ok(e) => email = Some(e),
                Err(_) => problems.push(Problem::BadEmail(value.to_owned())),
            },
            Field::FirstName => incoming.first_name = text,
            Field::LastName => incoming.last_name = text,
            Field::Phone => match Phone::parse(value) {
                Ok(p) => incoming.phone = Some(p.as_str().to_owned()),
                Err(_) => problems.push(Problem::BadPhone(value.to_owned())),
            },
            Field::Address => incoming.address = text,
            Field::Postcode => postcode_raw = Some(value),
            Field::City => incoming.city = text,
            Field::Country => match country_code(value) {
                Some(c) => {
                    country_fr = c == "FR";
                    incoming.country = Some(c);
                }
                None => problems.push(Problem::BadCountry(value.to_owned())),
            },
            Field::Language => match language(value) {
                Some(l) => incoming.locale = Some(l.code().to_owned()),
                None => problems.push(Problem::BadLanguage(value.to_owned())),
            },
            Field::Tags => tags = tags_of(value, &mut problems),
            Field::Interests => interests = tags_of(value, &mut problems),
        }
    }
    if let Some(raw) = postcode_raw {
        if country_fr {
            match Postcode::parse(raw) {
                Ok(code) => {
                    let places = Places::france();
                    if let [only] = places.by_postcode(&code) {
                        incoming.postcode_commune = Some(only.name.to_owned());
                    }
                    incoming.coordinates = places.center_of(&code);
                    incoming.postcode = Some(code.as_str().to_owned());
                }
                Err(_) => problems.push(Problem::BadPostcode(raw.to_owned())),
            }
        } else {
            incoming.postcode = Some(raw.to_owned());
        }
    }
    if email.is_none() && !problems.iter().any(|p| matches!(p, Problem::BadEmail(_))) {
        problems.insert(0, Problem::NoEmail);
    }
    match email {
        Some(email) if problems.is_empty() => Ok(ImportRow {
            line: record.line,
            email,
            incoming,
            tags,
            interests,
        }),
        _ => Err(problems),
    }
}

/// The addresses met so far in a file, with their first line.
#[derive(Debug, Default)]
pub struct Seen(HashMap<String, usize>);

impl Seen {
    /// `None` the first time an address is met; afterwards, the line it was first met on.
    pub fn first_line(&mut self, email: &Email, line: usize) -> Option<usize> {
        match self.0.get(email.as_str()) {
            Some(first) => Some(*first),
            None => {
                self.0.insert(email.as_str().to_owned(), line);
                None
            }
        }
    }
}

#[cfg(test)]
#[path = "row_tests.rs"]
mod tests;
