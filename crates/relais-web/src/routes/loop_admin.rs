//! `GET /admin/projects/loop`: does telling donors what their gift did bring them
//! back? Per cohort (the year of a donor's first gift), the share who gave again a
//! later year, told and not told side by side: a grouped bar chart and the same
//! numbers as a table, with the caveat that a comparison is not a cause.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use relais_core::Locale;
use relais_core::chart::{BarGroup, GroupedBarChart};
use relais_core::cohort::CohortRate;
use relais_core::role::Permission;

use crate::extract::Lang;
use crate::render::{Chrome, page};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// One cohort, formatted: "62 % (31 of 50)".
struct Row {
    year: String,
    told: String,
    untold: String,
}

#[derive(Template)]
#[template(path = "admin/loop.html")]
struct LoopTemplate {
    c: Chrome,
    chart_svg: String,
    rows: Vec<Row>,
    /// What the starred year on the chart means, when one is.
    partial_note: Option<String>,
}

/// `0.625` → "63 %" (French, narrow no-break space) or "63%".
fn percent(rate: f64, locale: Locale) -> String {
    let n = (rate * 100.0).round();
    match locale {
        Locale::Fr => format!("{n}\u{202f}%"),
        Locale::En => format!("{n}%"),
    }
}

/// `GET /admin/projects/loop`.
pub(crate) async fn show(State(state): State<Shared>, staff: Staff, lang: Lang) -> Result<Response, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "loop-title",
        "/admin/projects/loop",
        "projects",
    );
    let t = c.t.clone();
    let cohorts = state.store.repeat_giving_cohorts(access, crate::now()).await?;
    let cell = |rate: Option<f64>, repeat: u64, donors: u64| match rate {
        Some(r) => t.args(
            "loop-rate",
            &[
                ("rate", &percent(r, t.locale)),
                ("repeat", &repeat.to_string()),
                ("donors", &donors.to_string()),
            ],
        ),
        None => t.get("loop-none"),
    };
    // A starred year is provisional: the note under the chart says why.
    let year = |c: &CohortRate| {
        if c.partial {
            format!("{}*", c.year)
        } else {
            c.year.to_string()
        }
    };
    let rows: Vec<Row> = cohorts
        .iter()
        .map(|k| Row {
            year: year(k),
            told: cell(k.told_rate(), k.told_repeat, k.told_donors),
            untold: cell(k.untold_rate(), k.untold_repeat, k.untold_donors),
        })
        .collect();
    let groups: Vec<BarGroup> = cohorts
        .iter()
        .map(|k| {
            let label = |rate: Option<f64>| rate.map_or_else(|| t.get("loop-none"), |r| percent(r, t.locale));
            BarGroup {
                // The chart's axis is narrow: the year alone, "year not over" is in the table.
                label: if k.partial {
                    format!("{}*", k.year)
                } else {
                    k.year.to_string()
                },
                values: vec![k.told_rate().map(|r| r * 100.0), k.untold_rate().map(|r| r * 100.0)],
                value_labels: vec![label(k.told_rate()), label(k.untold_rate())],
            }
        })
        .collect();
    let series = [t.get("loop-told"), t.get("loop-untold")];
    let ticks: Vec<(f64, String)> = (0..=4)
        .map(|i| (f64::from(i) * 25.0, percent(f64::from(i) / 4.0, t.locale)))
        .collect();
    let chart_svg = GroupedBarChart {
        title: &t.get("loop-chart-title"),
        y_label: &t.get("loop-y-label"),
        series: &series,
        groups: &groups,
        y_max: 100.0,
        y_ticks: &ticks,
    }
    .to_svg();
    let partial_note = cohorts
        .iter()
        .find(|k| k.partial)
        .map(|k| format!("* {}", t.arg("loop-partial", "year", &k.year.to_string())));
    page(&LoopTemplate {
        c,
        chart_svg,
        rows,
        partial_note,
    })
}
