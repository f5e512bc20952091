//! Where a petition's signatures come from: channels over time, the viral
//! coefficient per channel and the top recruiters, as charts drawn on the server
//! (SVG, no script) with the same figures in tables for screen readers.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use relais_core::chart::{Bar, BarChart, LineChart, Series};
use relais_core::role::Permission;
use relais_store::{Petition, Sources};

use crate::extract::Lang;
use crate::i18n::Tr;
use crate::render::{Chrome, page};
use crate::routes::admin::admin_chrome;
use crate::routes::petition::format_count;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Lines drawn at most; smaller channels are summed as "other".
const MAX_SERIES: usize = 6;
/// Time buckets drawn at most (the latest ones).
const MAX_BUCKETS: usize = 120;

/// One channel's row of the table.
struct ChannelRow {
    name: String,
    signatures: String,
    brought: String,
    coefficient: String,
}

#[derive(Template)]
#[template(path = "admin/sources.html")]
struct SourcesTemplate {
    c: Chrome,
    p: Petition,
    over_time_svg: String,
    coefficient_svg: String,
    recruiters_svg: String,
    channels: Vec<ChannelRow>,
    recruiters: Vec<(String, String)>,
    total: String,
    overall: String,
}

fn channel_name(t: &Tr, channel: &str) -> String {
    match channel {
        "" => t.get("sources-direct"),
        "email" => t.get("share-email"),
        "facebook" => "Facebook".into(),
        "twitter" => "X / Twitter".into(),
        "whatsapp" => "WhatsApp".into(),
        "telegram" => "Telegram".into(),
        "linkedin" => "LinkedIn".into(),
        "widget" => t.get("sources-widget"),
        "link" => t.get("sources-link"),
        other => other.to_owned(),
    }
}

/// A ratio with two decimals, written the reader's way (`1,25` in French).
fn ratio(value: f64, t: &Tr) -> String {
    let s = format!("{value:.2}");
    if t.locale == relais_core::Locale::Fr {
        s.replace('.', ",")
    } else {
        s
    }
}

/// `brought / signatures`, 0 when nobody signed.
fn coefficient(brought: i64, signatures: i64) -> f64 {
    if signatures == 0 {
        0.0
    } else {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let k = brought as f64 / signatures as f64;
        k
    }
}

/// The line chart's series: one per large channel, the rest as "other", over every
/// bucket from the first to the last (quiet hours count as zero).
fn over_time(s: &Sources, t: &Tr, tz: &str) -> (Vec<String>, Vec<Series>) {
    let (Some(first), Some(last)) = (s.over_time.first(), s.over_time.last()) else {
        return (Vec::new(), Vec::new());
    };
    let step = s.bucket_secs.max(1);
    let buckets: Vec<i64> = (first.0..=last.0)
        .step_by(usize::try_from(step).unwrap_or(86_400))
        .collect();
    let buckets = &buckets[buckets.len().saturating_sub(MAX_BUCKETS)..];
    let top: Vec<&str> = s
        .by_channel
        .iter()
        .take(MAX_SERIES)
        .map(|(c, _, _)| c.as_str())
        .collect();
    let mut lines: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for (at, channel, n) in &s.over_time {
        let Ok(i) = buckets.binary_search(at) else { continue };
        let line = top.iter().position(|c| c == channel).unwrap_or(MAX_SERIES);
        lines.entry(line).or_insert_with(|| vec![0; buckets.len()])[i] += n;
    }
    let series = lines
        .into_iter()
        .map(|(line, values)| Series {
            name: top
                .get(line)
                .map_or_else(|| t.get("sources-other"), |c| channel_name(t, c)),
            values,
        })
        .collect();
    let format = if step < 86_400 { "%d/%m %Hh" } else { "%d/%m" };
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let labels = buckets
        .iter()
        .map(|b| {
            jiff::Timestamp::from_second(*b)
                .map(|ts| ts.to_zoned(zone.clone()).strftime(format).to_string())
                .unwrap_or_default()
        })
        .collect();
    (labels, series)
}

/// `GET /admin/petitions/{id}/sources`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let p = state.store.petition(access, id).await?;
    let s = state.store.sources(access, id).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "sources-title",
        &format!("/admin/petitions/{id}/sources"),
        "petitions",
    );
    let t = &c.t;
    let n = |v: i64| format_count(v, t.locale);
    let (labels, series) = over_time(&s, t, &org.timezone);
    let over_time_svg = LineChart {
        title: &t.get("sources-over-time"),
        x_labels: &labels,
        series: &series,
        y_label: &t.get("sources-signatures"),
    }
    .to_svg();
    let coefficient_bars: Vec<Bar> = s
        .by_channel
        .iter()
        .filter(|(_, _, brought)| *brought > 0)
        .map(|(channel, _, brought)| {
            let k = coefficient(*brought, s.signatures);
            Bar {
                label: channel_name(t, channel),
                value: k,
                value_label: ratio(k, t),
            }
        })
        .collect();
    let coefficient_svg = BarChart {
        title: &t.get("sources-coefficient"),
        bars: &coefficient_bars,
    }
    .to_svg();
    // First name and initial: enough for staff to thank them, no more on a chart.
    let recruiter = |first: &str, last: &str| match last.chars().next() {
        Some(initial) => format!("{first} {initial}."),
        None => first.to_owned(),
    };
    let recruiter_bars: Vec<Bar> = s
        .recruiters
        .iter()
        .map(|(first, last, brought)| Bar {
            label: recruiter(first, last),
            #[allow(clippy::cast_precision_loss)]
            value: *brought as f64,
            value_label: n(*brought),
        })
        .collect();
    let recruiters_svg = BarChart {
        title: &t.get("sources-recruiters"),
        bars: &recruiter_bars,
    }
    .to_svg();
    let channels = s
        .by_channel
        .iter()
        .map(|(channel, signatures, brought)| ChannelRow {
            name: channel_name(t, channel),
            signatures: n(*signatures),
            brought: n(*brought),
            coefficient: ratio(coefficient(*brought, s.signatures), t),
        })
        .collect();
    let recruiters = s
        .recruiters
        .iter()
        .map(|(first, last, brought)| (recruiter(first, last), n(*brought)))
        .collect();
    let brought: i64 = s.by_channel.iter().map(|(_, _, b)| b).sum();
    let overall = ratio(coefficient(brought, s.signatures), t);
    let total = n(s.signatures);
    page(&SourcesTemplate {
        over_time_svg,
        coefficient_svg,
        recruiters_svg,
        channels,
        recruiters,
        total,
        overall,
        p,
        c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn quiet_hours_count_as_zero_and_small_channels_as_other() {
        let t = Tr::new(Arc::new(crate::i18n::Catalogues::load()), relais_core::Locale::Fr);
        let h = 3_600;
        let mut by_channel: Vec<(String, i64, i64)> = (0..8).map(|i| (format!("c{i}"), 10 - i, 0)).collect();
        by_channel.insert(0, (String::new(), 20, 0));
        let s = Sources {
            bucket_secs: h,
            over_time: vec![
                (0, String::new(), 5),
                (0, "c7".into(), 1),
                (3 * h, "c0".into(), 2),
                (3 * h, "c6".into(), 4),
            ],
            by_channel,
            recruiters: Vec::new(),
            signatures: 0,
        };
        let (labels, series) = over_time(&s, &t, "UTC");
        assert_eq!(labels, ["01/01 00h", "01/01 01h", "01/01 02h", "01/01 03h"]);
        let direct = series.iter().find(|s| s.name == "Accès direct").unwrap();
        assert_eq!(direct.values, [5, 0, 0, 0]);
        let other = series.iter().find(|s| s.name == "Autres").unwrap();
        assert_eq!(other.values, [1, 0, 0, 4], "c6 and c7 are beyond the six largest");
        assert_eq!(ratio(1.0 / 3.0, &t), "0,33");
        assert!(coefficient(5, 0).abs() < f64::EPSILON);
    }
}
