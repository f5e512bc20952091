//! Impact projects (`/projects/{slug}`) as staff describe them: what is built,
//! where, for how much, how far along, and the figures that say what it changes.

use crate::Locale;
use crate::money::{Money, parse_amount};
use crate::petition::{PetitionPlace, slugify};
use crate::settings::FieldError;
use crate::slug::Slug;

/// How far a project has come. Donors follow it on a three-step progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The money is there (or promised); work has not started.
    Funded,
    /// Work has started.
    UnderWay,
    /// Done: the figures are what it achieved.
    Completed,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 3] = [Stage::Funded, Stage::UnderWay, Stage::Completed];

    /// Stored and submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Funded => "funded",
            Self::UnderWay => "under_way",
            Self::Completed => "completed",
        }
    }

    /// Parses the stored or submitted form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|stage| stage.as_str() == s.trim())
    }

    /// Position on the progress line, from 1.
    pub fn step(self) -> usize {
        self as usize + 1
    }
}

/// One impact figure staff chose to show: `450` `people served`, `3 000` `litres` `a day`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Figure {
    /// What is counted (`people served`).
    pub label: String,
    /// How many: whole numbers read best on a phone and need no rounding rule.
    pub value: i64,
    /// Unit or rate, may be empty (`litres a day`).
    pub unit: String,
}

/// Figures shown on one project at most: beyond that, none stands out.
pub const MAX_FIGURES: usize = 6;

/// A project as staff type it; text fields stay as typed so a refused form comes back whole.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ProjectInput {
    /// Title.
    pub title: String,
    /// URL slug (empty: from the title).
    pub slug: String,
    /// Text, Markdown.
    pub body: String,
    /// Budget in euros.
    pub budget: String,
    /// The place as people name it (`Kpalimé, Togo`).
    pub place_label: String,
    /// A French postcode, to fill in the place and its coordinates.
    pub place_postcode: String,
    /// Latitude in degrees (`6.9`, `6,9`).
    pub latitude: String,
    /// Longitude in degrees.
    pub longitude: String,
}

/// Where a project happens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectPlace {
    /// How people name it; may be empty when only coordinates are known.
    pub label: String,
    /// Latitude, WGS84.
    pub lat: Option<f64>,
    /// Longitude, WGS84.
    pub lon: Option<f64>,
}

/// A project that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectDraft {
    /// Title.
    pub title: String,
    /// Slug.
    pub slug: Slug,
    /// Markdown text.
    pub body: String,
    /// What the project costs.
    pub budget: Money,
    /// Where it happens.
    pub place: ProjectPlace,
}

fn coordinate(raw: &str) -> String {
    // French staff type decimal commas; the parser wants dots.
    raw.trim().replace(',', ".")
}

impl ProjectInput {
    /// Checks the fields; every problem at once.
    pub fn parse(&self) -> Result<ProjectDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_owned();
        if title.is_empty() {
            errors.push(FieldError::new("title", "err-required"));
        } else if title.chars().count() > 150 {
            errors.push(FieldError::new("title", "err-too-long"));
        }
        let slug_source = if self.slug.trim().is_empty() {
            slugify(&title)
        } else {
            self.slug.trim().to_owned()
        };
        let slug = Slug::parse(&slug_source)
            .map_err(|_| {
                if !title.is_empty() || !self.slug.trim().is_empty() {
                    errors.push(FieldError::new("slug", "err-slug-charset"));
                }
            })
            .ok();
        let body = self.body.trim().to_owned();
        if body.len() > 50_000 {
            errors.push(FieldError::new("body", "err-too-long"));
        }
        let budget = parse_amount(&self.budget)
            .map_err(|e| errors.push(e.field_error("budget", Locale::Fr)))
            .ok();
        let place = self.place(&mut errors);
        match (slug, budget) {
            (Some(slug), Some(budget)) if errors.is_empty() => Ok(ProjectDraft {
                title,
                slug,
                body,
                budget,
                place,
            }),
            _ => Err(errors),
        }
    }

    /// The place: typed coordinates win over a postcode's, and a postcode names
    /// the place when staff left the name empty.
    fn place(&self, errors: &mut Vec<FieldError>) -> ProjectPlace {
        let mut label = self.place_label.trim().to_owned();
        if label.chars().count() > 120 || label.chars().any(char::is_control) {
            errors.push(FieldError::new("place_label", "err-too-long"));
        }
        let from_postcode = PetitionPlace::from_postcode(&self.place_postcode).unwrap_or_else(|code| {
            errors.push(FieldError::new("place_postcode", code));
            None
        });
        let typed = PetitionPlace::from_coordinates(&coordinate(&self.latitude), &coordinate(&self.longitude))
            .unwrap_or_else(|code| {
                errors.push(FieldError::new("latitude", code));
                None
            });
        let (mut lat, mut lon) = (None, None);
        if let Some(place) = from_postcode {
            if label.is_empty() {
                label = if place.name.is_empty() {
                    place.postcode.clone()
                } else {
                    format!("{} ({})", place.name, place.postcode)
                };
            }
            (lat, lon) = (place.lat, place.lon);
        }
        if let Some((la, lo)) = typed {
            (lat, lon) = (Some(la), Some(lo));
        }
        ProjectPlace { label, lat, lon }
    }
}

/// Checks the figures staff typed as `(label, value, unit)` rows; rows left
/// entirely empty are dropped, so a form can offer spare rows.
pub fn parse_figures(rows: &[(String, String, String)]) -> Result<Vec<Figure>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut figures = Vec::new();
    for (label, value, unit) in rows {
        let (label, value, unit) = (label.trim(), value.trim(), unit.trim());
        if label.is_empty() && value.is_empty() && unit.is_empty() {
            continue;
        }
        if label.is_empty() {
            errors.push(FieldError::new("figures", "err-figure-label"));
            continue;
        }
        if label.chars().count() > 80 || unit.chars().count() > 40 {
            errors.push(FieldError::new("figures", "err-too-long"));
            continue;
        }
        let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        match digits.parse::<i64>() {
            Ok(v) if (0..=1_000_000_000_000).contains(&v) => figures.push(Figure {
                label: label.to_owned(),
                value: v,
                unit: unit.to_owned(),
            }),
            _ => errors.push(FieldError {
                field: "figures",
                code: "err-figure-value",
                arg: Some(label.to_owned()),
            }),
        }
    }
    if figures.len() > MAX_FIGURES {
        errors.push(FieldError::new("figures", "err-figures-count"));
    }
    if errors.is_empty() { Ok(figures) } else { Err(errors) }
}

/// News of a project as staff type it (`/admin/projects/{id}/updates`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct UpdateInput {
    /// What happened, Markdown.
    pub body: String,
    /// The stage it announces; empty: unchanged.
    pub stage: String,
    /// What the photo shows, if one comes with it.
    pub alt: String,
}

/// Checked news.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateDraft {
    /// Markdown text.
    pub body: String,
    /// The stage the project reaches with it.
    pub stage: Option<Stage>,
    /// What the photo shows.
    pub alt: String,
}

impl UpdateInput {
    /// Checks the fields; every problem at once.
    pub fn parse(&self) -> Result<UpdateDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            errors.push(FieldError::new("update-body", "err-required"));
        } else if body.len() > 20_000 {
            errors.push(FieldError::new("update-body", "err-too-long"));
        }
        let stage = match self.stage.trim() {
            "" => None,
            raw => {
                let stage = Stage::parse(raw);
                if stage.is_none() {
                    errors.push(FieldError::new("update-stage", "err-required"));
                }
                stage
            }
        };
        let alt = self.alt.trim().to_owned();
        if alt.chars().count() > 200 || alt.chars().any(char::is_control) {
            errors.push(FieldError::new("update-alt", "err-too-long"));
        }
        if errors.is_empty() {
            Ok(UpdateDraft { body, stage, alt })
        } else {
            Err(errors)
        }
    }
}

/// A figure's value as people read it in `locale`: `3 000` or `3,000`.
pub fn format_count(value: i64, locale: Locale) -> String {
    let digits = value.unsigned_abs().to_string();
    let separator = match locale {
        // Narrow no-break space: a figure never wraps across two lines.
        Locale::Fr => '\u{202f}',
        Locale::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    if value < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well() -> ProjectInput {
        ProjectInput {
            title: "Puits de Kpalimé".into(),
            body: "Un forage de **40 m**.".into(),
            budget: "12 000".into(),
            place_label: "Kpalimé, Togo".into(),
            latitude: "6,9".into(),
            longitude: "0.63".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_project_abroad_is_placed_by_its_coordinates() {
        let d = well().parse().unwrap();
        assert_eq!(d.slug.as_str(), "puits-de-kpalime");
        assert_eq!(d.budget, Money::from_cents(1_200_000));
        assert_eq!(d.place.label, "Kpalimé, Togo");
        assert_eq!((d.place.lat, d.place.lon), (Some(6.9), Some(0.63)));
    }

    #[test]
    fn a_french_postcode_names_and_places_the_project() {
        let input = ProjectInput {
            place_label: String::new(),
            place_postcode: "69001".into(),
            latitude: String::new(),
            longitude: String::new(),
            ..well()
        };
        let d = input.parse().unwrap();
        assert_eq!(d.place.label, "Lyon 1er Arrondissement (69001)");
        assert!(d.place.lat.is_some());
    }

    #[test]
    fn bad_fields_are_reported_together() {
        let input = ProjectInput {
            title: String::new(),
            budget: "douze".into(),
            latitude: "95".into(),
            longitude: "0".into(),
            place_postcode: "690".into(),
            ..Default::default()
        };
        let errors = input.parse().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert!(fields.contains(&("title", "err-required")), "{fields:?}");
        assert!(fields.contains(&("budget", "err-amount")), "{fields:?}");
        assert!(fields.contains(&("latitude", "err-coordinates")), "{fields:?}");
        assert!(fields.contains(&("place_postcode", "err-postcode")), "{fields:?}");
        let no_budget = ProjectInput {
            budget: String::new(),
            ..well()
        };
        assert_eq!(no_budget.parse().unwrap_err()[0].code, "err-required");
    }

    #[test]
    fn figures_skip_empty_rows_and_name_the_bad_value() {
        let row = |l: &str, v: &str, u: &str| (l.to_owned(), v.to_owned(), u.to_owned());
        let figures = parse_figures(&[
            row("personnes servies", "450", ""),
            row("", "", ""),
            row("litres", "3 000", "par jour"),
        ])
        .unwrap();
        assert_eq!(figures.len(), 2);
        assert_eq!(figures[1].value, 3_000);
        assert_eq!(figures[1].unit, "par jour");
        let errors = parse_figures(&[row("arbres plantés", "beaucoup", ""), row("", "12", "")]).unwrap_err();
        assert_eq!(
            (errors[0].code, errors[0].arg.as_deref()),
            ("err-figure-value", Some("arbres plantés"))
        );
        assert_eq!(errors[1].code, "err-figure-label");
        let many: Vec<_> = (0..7).map(|i| row("x", &i.to_string(), "")).collect();
        assert_eq!(parse_figures(&many).unwrap_err()[0].code, "err-figures-count");
    }

    #[test]
    fn news_needs_words_and_may_announce_a_stage() {
        let input = UpdateInput {
            body: "Le forage a atteint l’eau à 38 m.".into(),
            stage: "under_way".into(),
            alt: "La foreuse".into(),
        };
        assert_eq!(input.parse().unwrap().stage, Some(Stage::UnderWay));
        let quiet = UpdateInput {
            stage: String::new(),
            ..input
        };
        assert_eq!(quiet.parse().unwrap().stage, None);
        let errors = UpdateInput {
            stage: "done".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["update-body", "update-stage"]);
    }

    #[test]
    fn stages_and_counts_read_well() {
        assert_eq!(Stage::parse("under_way"), Some(Stage::UnderWay));
        assert_eq!(Stage::parse("done"), None);
        assert_eq!(Stage::Completed.step(), 3);
        assert!(Stage::Funded < Stage::Completed);
        assert_eq!(format_count(3_000, Locale::Fr), "3\u{202f}000");
        assert_eq!(format_count(1_234_567, Locale::En), "1,234,567");
        assert_eq!(format_count(12, Locale::En), "12");
    }
}
