//! The public page of an impact project (`/projects/{slug}`): what it is, where,
//! how far along, what it changes, and where the money came from and went, line
//! by line. The same for every visitor of a language, so proxies may cache it.
//! The map is Relais's own small SVG (the land is a file of this site) beside a
//! plain link to OpenStreetMap: the page itself asks nothing of any other site.

use askama::Template;
use axum::extract::{Path, State};
use relais_core::Locale;
use relais_core::money::Money;
use relais_core::project::{Stage, format_count};
use relais_store::{Org, Project, ProjectCampaign, ProjectPhoto};

use crate::extract::Lang;
use crate::render::{Brand, Chrome, page};
use crate::{AppError, AppState, Shared};

/// One step of the progress line.
pub(crate) struct Step {
    pub label: String,
    /// `done`, `current` or `todo`.
    pub status: &'static str,
}

/// One impact figure, formatted.
pub(crate) struct FigureLine {
    pub value: String,
    pub label: String,
    pub unit: String,
}

/// One line of the public ledger.
pub(crate) struct LedgerLine {
    pub day: String,
    pub category: String,
    pub label: String,
    pub amount: String,
}

/// News of the project, formatted.
pub(crate) struct UpdateLine {
    pub id: i64,
    /// The day it was written, as readers of the language write it.
    pub day: String,
    /// `2026-11-27`, for the `time` element.
    pub datetime: String,
    /// "New stage: completed".
    pub stage: Option<String>,
    pub body_html: String,
    pub photo: Option<(String, String)>,
    /// "3 000 litres par jour", one per figure it set.
    pub figures: Vec<String>,
}

/// Formats news for a page in `t`'s language; days in the association's time zone `tz`.
pub(crate) fn update_lines(t: &crate::i18n::Tr, updates: &[relais_store::ProjectUpdate], tz: &str) -> Vec<UpdateLine> {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    updates
        .iter()
        .map(|u| {
            let date = jiff::Timestamp::from_second(u.created_at)
                .map(|ts| ts.to_zoned(zone.clone()).date().to_string())
                .unwrap_or_default();
            UpdateLine {
                id: u.id,
                day: local_day(&date, t.locale),
                datetime: date,
                stage: u.stage.map(|s| {
                    let stage = t.get(&format!("project-stage-{}", s.as_str()));
                    t.arg("project-update-stage", "stage", &stage)
                }),
                body_html: relais_core::markdown::to_safe_html(&u.body),
                photo: u.photo_base.clone().map(|base| (base, u.photo_alt.clone())),
                figures: u
                    .figures
                    .iter()
                    .flatten()
                    .map(|f| {
                        let mut line = format!("{} {}", format_count(f.value, t.locale), f.label);
                        if !f.unit.is_empty() {
                            line = format!("{line} {}", f.unit);
                        }
                        line
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Where the project is, for people and for a map link.
pub(crate) struct Place {
    pub label: String,
    /// `6.90000° N, 0.63000° E`.
    pub coordinates: Option<String>,
    pub osm_url: Option<String>,
    /// A small map of Relais's own with the project's point (an inline SVG).
    pub locator: Option<String>,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectTemplate {
    c: Chrome,
    org: Org,
    p: Project,
    url: String,
    /// Absolute address of the media folder, for link previews.
    media: String,
    summary: String,
    body_html: String,
    photos: Vec<ProjectPhoto>,
    place: Place,
    steps: Vec<Step>,
    figures: Vec<FigureLine>,
    budget: String,
    received: String,
    spent: String,
    /// `received` and `spent` on a scale of the budget (or of what was received,
    /// when it exceeds the budget), for the bars.
    scale: i64,
    received_cents: i64,
    spent_cents: i64,
    funded_line: String,
    received_detail: String,
    by_category: Vec<(String, String)>,
    ledger: Vec<LedgerLine>,
    campaigns: Vec<ProjectCampaign>,
    updates: Vec<UpdateLine>,
}

/// `6.9, 0.63` → `6.90000° N, 0.63000° E` (five decimals: about a metre).
fn coordinates(lat: f64, lon: f64, locale: Locale) -> String {
    let (ns, ew) = match locale {
        Locale::Fr => (if lat < 0.0 { "S" } else { "N" }, if lon < 0.0 { "O" } else { "E" }),
        Locale::En => (if lat < 0.0 { "S" } else { "N" }, if lon < 0.0 { "W" } else { "E" }),
    };
    let text = format!("{:.5}° {ns}, {:.5}° {ew}", lat.abs(), lon.abs());
    match locale {
        Locale::Fr => text.replace('.', ",").replacen(", ", "\u{a0}; ", 1),
        Locale::En => text,
    }
}

/// A link to the place on OpenStreetMap, zoomed on the village: a link, never an
/// embedded map, so nothing is fetched from another site before the visitor asks.
fn osm_url(lat: f64, lon: f64) -> String {
    format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=14/{lat:.5}/{lon:.5}")
}

fn summary(body: &str) -> String {
    let text: String = body
        .chars()
        .filter(|c| !matches!(c, '*' | '#' | '_' | '`' | '>' | '[' | ']'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `GET /projects/{slug}`: published projects only.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<axum::response::Response, AppError> {
    let page_data = state.store.public_project(&slug).await?.ok_or(AppError::NotFound)?;
    let org = state
        .store
        .org_by_id(page_data.project.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let template = project_page(&state, page_data, org, lang);
    // A minute: the page changes when staff add an expense or a photo, rarely.
    Ok(crate::routes::public::public_page(
        page(&template)?,
        "public, max-age=60",
    ))
}

fn project_page(state: &AppState, data: relais_store::ProjectPage, org: Org, lang: Lang) -> ProjectTemplate {
    let p = data.project;
    let t = state.tr(lang.or(org.locale()));
    let locale = t.locale;
    let path = format!("/projects/{}", p.slug);
    let mut c = Chrome::new(t.clone(), p.title.clone(), &path);
    c.brand = Some(Brand::of(&org));
    let money = |m: Money| m.format(locale);
    let totals = &data.totals;
    let received = totals.received();
    let steps = Stage::ALL
        .iter()
        .map(|s| Step {
            label: t.get(&format!("project-stage-{}", s.as_str())),
            status: match s.cmp(&p.stage) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "todo",
            },
        })
        .collect();
    let percent = if p.budget.cents() > 0 {
        (i128::from(received.cents()) * 100 / i128::from(p.budget.cents())).to_string()
    } else {
        "100".into()
    };
    let locator = p.lat.zip(p.lon).map(|(lat, lon)| {
        let name = if p.place_label.is_empty() {
            p.title.clone()
        } else {
            p.place_label.clone()
        };
        relais_core::map::PinMap {
            id: "project-locator",
            title: &t.get("project-locator-title"),
            desc: &t.arg("project-locator-desc", "place", &name),
            pins: &[relais_core::map::Pin {
                label: name.clone(),
                href: None,
                lat,
                lon,
            }],
            land_href: &crate::routes::assets::world_href(),
            min_span: 50.0,
            numbered: false,
        }
        .to_svg()
    });
    let place = Place {
        label: p.place_label.clone(),
        coordinates: p.lat.zip(p.lon).map(|(lat, lon)| coordinates(lat, lon, locale)),
        osm_url: p.lat.zip(p.lon).map(|(lat, lon)| osm_url(lat, lon)),
        locator,
    };
    ProjectTemplate {
        url: state.config.link(&path),
        media: state.config.link("/media/"),
        summary: summary(&p.body),
        body_html: relais_core::markdown::to_safe_html(&p.body),
        photos: data.photos,
        place,
        steps,
        figures: p
            .figures
            .iter()
            .map(|f| FigureLine {
                value: format_count(f.value, locale),
                label: f.label.clone(),
                unit: f.unit.clone(),
            })
            .collect(),
        budget: money(p.budget),
        received: money(received),
        spent: money(totals.spent),
        scale: p.budget.cents().max(received.cents()).max(totals.spent.cents()).max(1),
        received_cents: received.cents(),
        spent_cents: totals.spent.cents(),
        funded_line: t.args(
            "project-funded-line",
            &[
                ("received", &money(received)),
                ("budget", &money(p.budget)),
                ("percent", &percent),
            ],
        ),
        received_detail: t.args(
            "project-received-public",
            &[
                ("restricted", &money(totals.restricted)),
                ("allocated", &money(totals.allocated)),
                ("gifts", &(totals.restricted_gifts + totals.allocated_gifts).to_string()),
            ],
        ),
        by_category: totals
            .by_category
            .iter()
            .map(|(k, m)| (t.get(&format!("expense-category-{}", k.as_str())), money(*m)))
            .collect(),
        ledger: data
            .expenses
            .iter()
            .map(|e| LedgerLine {
                day: local_day(&e.spent_on, locale),
                category: t.get(&format!("expense-category-{}", e.category.as_str())),
                label: e.label.clone(),
                amount: money(e.amount),
            })
            .collect(),
        campaigns: data.campaigns,
        updates: update_lines(&t, &data.updates, &org.timezone),
        c,
        org,
        p,
    }
}

/// A `YYYY-MM-DD` day as readers of `locale` write it: `18/10/2026`, `18 Oct 2026`.
fn local_day(day: &str, locale: Locale) -> String {
    let Ok(date) = day.parse::<jiff::civil::Date>() else {
        return day.to_owned();
    };
    match locale {
        Locale::Fr => date.strftime("%d/%m/%Y").to_string(),
        Locale::En => date.strftime("%-d %b %Y").to_string(),
    }
}

/// The published project a campaign is restricted to, for a link from its page.
pub(crate) async fn of_campaign(
    state: &AppState,
    campaign: &relais_store::Campaign,
) -> Result<Option<Project>, AppError> {
    match campaign.project_id {
        Some(id) => Ok(state.store.published_project(id).await?),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_read_as_each_language_writes_them() {
        assert_eq!(coordinates(6.9, 0.63, Locale::En), "6.90000° N, 0.63000° E");
        assert_eq!(
            coordinates(-21.115, -55.536, Locale::Fr),
            "21,11500° S\u{a0}; 55,53600° O"
        );
        assert_eq!(
            osm_url(6.9, 0.63),
            "https://www.openstreetmap.org/?mlat=6.90000&mlon=0.63000#map=14/6.90000/0.63000"
        );
    }

    #[test]
    fn ledger_days_read_as_each_language_writes_them() {
        assert_eq!(local_day("2026-10-08", Locale::Fr), "08/10/2026");
        assert_eq!(local_day("2026-10-08", Locale::En), "8 Oct 2026");
        assert_eq!(local_day("soon", Locale::En), "soon");
    }

    #[test]
    fn summaries_are_plain_and_short() {
        assert_eq!(summary("Un **forage** de\n\n40 m."), "Un forage de 40 m.");
        assert_eq!(summary(&"a".repeat(300)).chars().count(), 201);
    }
}
