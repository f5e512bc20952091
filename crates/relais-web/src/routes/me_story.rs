//! The stories `/me` tells: for each gift, where its money went and what happened
//! since on those projects; for each signature, what became of the petition; and the
//! places of the projects the person helped, on a map and in a list.
//!
//! Everything is read in a handful of set-based queries (gifts, allocations,
//! projects, their news, petition posts) and joined here in memory, so the page
//! costs the same few round trips for 5 actions or 500.

use std::collections::HashMap;

use relais_core::Locale;
use relais_core::money::Money;
use relais_core::project::format_count;
use relais_core::story::since;
use relais_store::{MyAllocation, MyGift, MyPetitionPost, MySignature, Project, ProjectUpdate};

use crate::i18n::Tr;

/// Events shown under one contribution; the rest are on the project's or petition's page.
const LATEST: usize = 3;
/// Characters of a news text shown under a contribution.
const EXCERPT: usize = 220;

/// One thing that happened since a contribution.
pub(crate) struct NewsLine {
    /// "3 March 2026".
    pub day: String,
    /// `2026-03-03`, for `<time>`.
    pub datetime: String,
    /// What it is: the project's name, or the kind of petition post.
    pub heading: String,
    /// The project's page, for project news.
    pub href: Option<String>,
    /// "New stage: under way".
    pub stage: Option<String>,
    /// "450 people served", one per figure announced.
    pub figures: Vec<String>,
    /// The start of the text, without markup.
    pub text: String,
}

/// Where part of a gift went.
pub(crate) struct ShareLine {
    /// "All of it to", "12,40 € to".
    pub lead: String,
    pub project: String,
    pub href: Option<String>,
    /// "decided on 15 April 2026", for allocations.
    pub when: Option<String>,
}

/// One gift and its story.
pub(crate) struct GiftStory {
    /// "30,00 € on 3 March 2026".
    pub heading: String,
    pub campaign: String,
    pub monthly: bool,
    pub refunded: bool,
    pub receipt: Option<String>,
    pub shares: Vec<ShareLine>,
    /// What no project has received yet: "17,60 €", or everything when no share.
    pub unallocated: Option<String>,
    pub news: Vec<NewsLine>,
    /// "2 more news: Puits de Kpalimé", with the project's page.
    pub more: Vec<(String, String)>,
}

/// One signature and what became of the petition.
pub(crate) struct SignatureStory {
    pub title: String,
    pub href: String,
    /// "Victory!", "Open", "Closed".
    pub state: String,
    /// `victory`, `open` or `closed`, for the badge's colour.
    pub state_class: &'static str,
    /// "Signed on 3 March 2026".
    pub signed: String,
    pub pending: bool,
    pub news: Vec<NewsLine>,
    /// "4 more on the petition's page".
    pub more: Option<String>,
}

/// A project the person helped, numbered like its pin on the map.
pub(crate) struct PlaceLine {
    pub number: usize,
    pub title: String,
    pub href: String,
    pub place: String,
    pub stage: String,
    pub on_map: bool,
}

/// Formats days in the reader's words, in the association's time zone.
pub(crate) struct Days {
    zone: jiff::tz::TimeZone,
    locale: Locale,
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

impl Days {
    pub(crate) fn new(tz: &str, locale: Locale) -> Self {
        Self {
            zone: jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC),
            locale,
        }
    }

    fn date(&self, ts: i64) -> Option<jiff::civil::Date> {
        jiff::Timestamp::from_second(ts)
            .ok()
            .map(|t| t.to_zoned(self.zone.clone()).date())
    }

    /// "3 mars 2026", "3 March 2026": no abbreviations, no numbers to decode.
    pub(crate) fn long(&self, ts: i64) -> String {
        let Some(d) = self.date(ts) else { return String::new() };
        match self.locale {
            Locale::Fr => {
                let month = MONTHS_FR[usize::try_from(d.month() - 1).unwrap_or(0)];
                let day = if d.day() == 1 {
                    "1er".to_owned()
                } else {
                    d.day().to_string()
                };
                format!("{day} {month} {}", d.year())
            }
            Locale::En => d.strftime("%-d %B %Y").to_string(),
        }
    }

    /// `2026-03-03`.
    pub(crate) fn iso(&self, ts: i64) -> String {
        self.date(ts).map(|d| d.to_string()).unwrap_or_default()
    }
}

fn excerpt(markdown: &str) -> String {
    let text = relais_core::markdown::to_plain_text(markdown).replace('\n', " ");
    match text.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text,
    }
}

/// What the person's money and signatures did, ready for the page.
pub(crate) struct Stories {
    pub gifts: Vec<GiftStory>,
    pub signatures: Vec<SignatureStory>,
    pub places: Vec<PlaceLine>,
    /// The published projects, in the order of `places` (for the map's pins).
    pub projects: Vec<Project>,
}

/// Everything `/me` read from the store about the person's contributions.
pub(crate) struct Facts {
    pub gifts: Vec<MyGift>,
    pub allocations: Vec<MyAllocation>,
    pub projects: Vec<Project>,
    /// Newest first.
    pub news: Vec<ProjectUpdate>,
    pub signatures: Vec<MySignature>,
    /// Newest first.
    pub posts: Vec<MyPetitionPost>,
}

/// Joins the facts into stories, newest contribution first.
pub(crate) fn stories(t: &Tr, days: &Days, facts: Facts) -> Stories {
    let locale = t.locale;
    let money = |cents: i64| Money::from_cents(cents).format(locale);
    let projects: HashMap<i64, &Project> = facts.projects.iter().map(|p| (p.id, p)).collect();
    let mut news_of: HashMap<i64, Vec<&ProjectUpdate>> = HashMap::new();
    for u in &facts.news {
        news_of.entry(u.project_id).or_default().push(u);
    }
    let mut shares_of: HashMap<i64, Vec<&MyAllocation>> = HashMap::new();
    for a in &facts.allocations {
        shares_of.entry(a.gift_id).or_default().push(a);
    }
    let href = |p: &Project| format!("/projects/{}", p.slug);
    let project_line = |u: &ProjectUpdate| {
        let project = projects.get(&u.project_id);
        NewsLine {
            day: days.long(u.created_at),
            datetime: days.iso(u.created_at),
            heading: project.map(|p| p.title.clone()).unwrap_or_default(),
            href: project.map(|p| href(p)),
            stage: u.stage.map(|s| {
                let stage = t.get(&format!("project-stage-{}", s.as_str()));
                t.arg("project-update-stage", "stage", &stage)
            }),
            figures: u
                .figures
                .iter()
                .flatten()
                .map(|f| {
                    let line = format!("{} {}", format_count(f.value, locale), f.label);
                    if f.unit.is_empty() {
                        line
                    } else {
                        format!("{line} {}", f.unit)
                    }
                })
                .collect(),
            text: excerpt(&u.body),
        }
    };

    let mut gifts = Vec::with_capacity(facts.gifts.len());
    for g in &facts.gifts {
        let given_at = g.paid_at.unwrap_or(g.created_at);
        let refunded = g.status == "refunded";
        // Where the money went, each part with the date from which its news count.
        let mut reached: Vec<(i64, i64)> = Vec::new();
        let mut shares = Vec::new();
        let mut unallocated = None;
        if refunded {
            // A refunded gift reached nothing: no share, no news.
        } else if let Some(project_id) = g.project_id {
            let project = projects.get(&project_id);
            shares.push(ShareLine {
                lead: t.get("me-share-all"),
                project: project.map_or_else(|| t.get("me-project-unpublished"), |p| p.title.clone()),
                href: project.map(|p| href(p)),
                when: None,
            });
            reached.push((project_id, given_at));
        } else {
            let mut left = g.amount_cents;
            for a in shares_of.get(&g.id).into_iter().flatten() {
                let project = projects.get(&a.project_id);
                left -= a.cents;
                shares.push(ShareLine {
                    lead: t.arg("me-share-to", "amount", &money(a.cents)),
                    project: project.map_or_else(|| t.get("me-project-unpublished"), |p| p.title.clone()),
                    href: project.map(|p| href(p)),
                    when: Some(t.arg("me-share-when", "date", &days.long(a.created_at))),
                });
                reached.push((a.project_id, a.created_at));
            }
            if left > 0 {
                unallocated = Some(money(left));
            }
        }
        let mut news: Vec<&ProjectUpdate> = Vec::new();
        let mut more = Vec::new();
        reached.sort_unstable();
        reached.dedup_by_key(|(project, _)| *project);
        for (project_id, from) in reached {
            let Some(all) = news_of.get(&project_id) else { continue };
            let (latest, count) = since(all, |u| u.created_at, from, LATEST);
            news.extend(latest);
            if let (Some(p), true) = (projects.get(&project_id), count > latest.len()) {
                let n = (count - latest.len()).to_string();
                more.push((t.args("me-more-news", &[("count", &n), ("project", &p.title)]), href(p)));
            }
        }
        news.sort_by_key(|u| std::cmp::Reverse((u.created_at, u.id)));
        news.truncate(LATEST);
        gifts.push(GiftStory {
            heading: t.args(
                "me-gift-heading",
                &[("amount", &money(g.amount_cents)), ("date", &days.long(given_at))],
            ),
            campaign: g.campaign.clone(),
            monthly: g.frequency == "monthly",
            refunded,
            receipt: g.receipt.clone(),
            shares,
            unallocated,
            news: news.into_iter().map(project_line).collect(),
            more,
        });
    }

    let mut posts_of: HashMap<i64, Vec<&MyPetitionPost>> = HashMap::new();
    for p in &facts.posts {
        posts_of.entry(p.petition_id).or_default().push(p);
    }
    let signatures = facts
        .signatures
        .iter()
        .map(|s| {
            let (latest, count) = posts_of
                .get(&s.petition_id)
                .map_or((&[][..], 0), |all| since(all, |p| p.created_at, s.created_at, LATEST));
            let (state, state_class) = match s.state.as_str() {
                "victory" => (t.get("post-heading-victory"), "victory"),
                "published" => (t.get("me-petition-open"), "open"),
                "closed" => (t.get("petition-state-closed"), "closed"),
                other => (t.get(&format!("petition-state-{other}")), "closed"),
            };
            SignatureStory {
                href: format!("/p/{}", s.slug),
                title: s.title.clone(),
                state,
                state_class,
                signed: t.arg("me-signed-on", "date", &days.long(s.created_at)),
                pending: s.status == "pending",
                news: latest
                    .iter()
                    .map(|p| NewsLine {
                        day: days.long(p.created_at),
                        datetime: days.iso(p.created_at),
                        heading: match p.kind.as_str() {
                            "milestone" => t.arg(
                                "post-heading-milestone",
                                "count",
                                &format_count(p.milestone.unwrap_or_default(), locale),
                            ),
                            "victory" => t.get("post-heading-victory"),
                            "response" => t.get("me-post-response"),
                            _ => t.get("post-heading-update"),
                        },
                        href: None,
                        stage: None,
                        figures: Vec::new(),
                        text: excerpt(&p.body),
                    })
                    .collect(),
                more: (count > latest.len())
                    .then(|| t.arg("me-more-posts", "count", &(count - latest.len()).to_string())),
            }
        })
        .collect();

    let places = facts
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| PlaceLine {
            number: i + 1,
            title: p.title.clone(),
            href: href(p),
            place: p.place_label.clone(),
            stage: t.get(&format!("project-stage-{}", p.stage.as_str())),
            on_map: p
                .lat
                .zip(p.lon)
                .and_then(|(lat, lon)| relais_core::map::project(lat, lon))
                .is_some(),
        })
        .collect();
    Stories {
        gifts,
        signatures,
        places,
        projects: facts.projects,
    }
}

/// The map of the projects the person helped, numbered like the list beside it.
pub(crate) fn map_svg(t: &Tr, projects: &[Project]) -> Option<String> {
    let pins: Vec<relais_core::map::Pin> = projects
        .iter()
        .map(|p| relais_core::map::Pin {
            label: p.title.clone(),
            href: Some(format!("/projects/{}", p.slug)),
            // Projects without a place keep their number, off the map.
            lat: p.lat.unwrap_or(f64::NAN),
            lon: p.lon.unwrap_or(f64::NAN),
        })
        .collect();
    if pins.iter().all(|p| relais_core::map::project(p.lat, p.lon).is_none()) {
        return None;
    }
    Some(
        relais_core::map::PinMap {
            id: "me-map",
            title: &t.get("me-map-title"),
            desc: &t.get("me-map-desc"),
            pins: &pins,
            land_href: &crate::routes::assets::world_href(),
            min_span: 40.0,
            numbered: true,
        }
        .to_svg(),
    )
}
