//! Petitions: their life cycle, what staff type when writing one, and the
//! milestone ladder that keeps a mobilisation moving.

use crate::settings::FieldError;
use crate::slug::Slug;

/// Where a petition is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PetitionState {
    /// Being written by staff; not public.
    Draft,
    /// Proposed by a citizen; waiting for staff.
    Moderation,
    /// Public and collecting signatures.
    Published,
    /// Public, no longer collecting.
    Closed,
    /// Public: the target gave in.
    Victory,
    /// Refused by staff (citizen proposals); not public.
    Rejected,
}

impl PetitionState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Moderation => "moderation",
            Self::Published => "published",
            Self::Closed => "closed",
            Self::Victory => "victory",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "moderation" => Self::Moderation,
            "published" => Self::Published,
            "closed" => Self::Closed,
            "victory" => Self::Victory,
            "rejected" => Self::Rejected,
            _ => return None,
        })
    }

    /// Whether the public can see the page.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Published | Self::Closed | Self::Victory)
    }

    /// Whether signatures are accepted.
    pub fn accepts_signatures(self) -> bool {
        self == Self::Published
    }

    /// Whether staff may move a petition from `self` to `to`.
    pub fn can_become(self, to: Self) -> bool {
        use PetitionState::*;
        matches!(
            (self, to),
            (Draft, Published)
                | (Moderation, Published | Rejected)
                | (Published, Closed | Victory)
                | (Closed, Published | Victory)
        )
    }
}

/// The ladder of milestones: each one reached, the next is shown as the target.
const LADDER: [i64; 9] = [100, 500, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000];

/// The target a progress bar shows for `count` signatures: the staff goal while it
/// is ahead, otherwise the next step of the ladder (then every further million).
pub fn next_milestone(count: i64, goal: Option<i64>) -> i64 {
    if let Some(goal) = goal.filter(|g| *g > count) {
        return goal;
    }
    LADDER
        .iter()
        .copied()
        .find(|step| *step > count)
        .unwrap_or_else(|| (count / 1_000_000 + 1) * 1_000_000)
}

/// The highest ladder step at or below `count` (0 when none), to detect a milestone passed.
pub fn milestone_reached(count: i64) -> i64 {
    LADDER
        .iter()
        .copied()
        .rev()
        .find(|step| *step <= count)
        .unwrap_or(0)
        .max(if count >= 1_000_000 {
            count / 1_000_000 * 1_000_000
        } else {
            0
        })
}

/// A petition as staff type it: raw text, shown again as typed when refused.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PetitionInput {
    /// Title.
    pub title: String,
    /// URL slug (empty: made from the title).
    pub slug: String,
    /// Text, Markdown.
    pub body: String,
    /// Who can make it happen (decision maker's name).
    pub target_name: String,
    /// Their role ("Maire de Lyon").
    pub target_role: String,
    /// Signature goal, digits (empty: none).
    pub goal: String,
    /// Cause tags, comma-separated.
    pub tags: String,
    /// Closing date `YYYY-MM-DD` (empty: none).
    pub closes_on: String,
    /// French postcode of the place concerned (empty: none).
    pub place_postcode: String,
}

/// Where a petition's cause is: a French postcode and its commune, and/or the
/// coordinates a phone gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PetitionPlace {
    /// Postcode (may be empty when only coordinates are known).
    pub postcode: String,
    /// Commune name, when the postcode names one.
    pub name: String,
    /// Latitude, WGS84.
    pub lat: Option<f64>,
    /// Longitude, WGS84.
    pub lon: Option<f64>,
}

impl PetitionPlace {
    /// Resolves a French postcode with the shipped gazetteer; `None` when empty.
    pub fn from_postcode(raw: &str) -> Result<Option<Self>, &'static str> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let postcode = crate::places::Postcode::parse(raw).map_err(|_| "err-postcode")?;
        let communes = crate::places::Places::france().by_postcode(&postcode);
        let (name, lat, lon) = match communes {
            [one] => (one.name.to_owned(), one.lat, one.lon),
            // A shared postcode: name none, but any located commune still places it.
            many => {
                let located = many.iter().find(|p| p.lat.is_some());
                (String::new(), located.and_then(|p| p.lat), located.and_then(|p| p.lon))
            }
        };
        Ok(Some(Self {
            postcode: postcode.as_str().to_owned(),
            name,
            lat,
            lon,
        }))
    }

    /// Coordinates from a phone, checked to be on Earth.
    pub fn from_coordinates(lat: &str, lon: &str) -> Result<Option<(f64, f64)>, &'static str> {
        if lat.trim().is_empty() && lon.trim().is_empty() {
            return Ok(None);
        }
        let (Ok(lat), Ok(lon)) = (lat.trim().parse::<f64>(), lon.trim().parse::<f64>()) else {
            return Err("err-coordinates");
        };
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err("err-coordinates");
        }
        Ok(Some((lat, lon)))
    }
}

/// A petition that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct PetitionDraft {
    /// Title.
    pub title: String,
    /// URL slug.
    pub slug: Slug,
    /// Markdown text.
    pub body: String,
    /// Decision maker.
    pub target_name: String,
    /// Their role.
    pub target_role: String,
    /// Goal, if any.
    pub goal: Option<i64>,
    /// Lowercase cause tags.
    pub tags: Vec<String>,
    /// Closing date, if any.
    pub closes_on: Option<jiff::civil::Date>,
    /// Where it happens, if given.
    pub place: Option<PetitionPlace>,
}

/// Turns a title into a slug: lowercase ASCII, accents dropped, words joined by hyphens.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            'œ' => {
                out.push('o');
                'e'
            }
            'æ' => {
                out.push('a');
                'e'
            }
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if mapped != '-' || !out.ends_with('-') {
            out.push(mapped);
        }
    }
    let trimmed = out.trim_matches('-');
    let cut: String = trimmed.chars().take(48).collect();
    cut.trim_end_matches('-').to_owned()
}

impl PetitionInput {
    /// Checks every field against `today` (for the closing date).
    pub fn parse(&self, today: jiff::civil::Date) -> Result<PetitionDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_owned();
        match title.chars().count() {
            0 => errors.push(FieldError::new("title", "err-required")),
            1..=150 => {}
            _ => errors.push(FieldError::new("title", "err-too-long")),
        }
        let slug_source = if self.slug.trim().is_empty() {
            slugify(&title)
        } else {
            self.slug.clone()
        };
        let slug = match Slug::parse(&slug_source) {
            Ok(s) => Some(s),
            Err(_) if title.is_empty() && self.slug.trim().is_empty() => None,
            Err(e) => {
                let code = match e {
                    crate::slug::SlugError::Length => "err-slug-length",
                    crate::slug::SlugError::Charset => "err-slug-charset",
                    crate::slug::SlugError::Reserved => "err-slug-reserved",
                };
                errors.push(FieldError::new("slug", code));
                None
            }
        };
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            errors.push(FieldError::new("body", "err-required"));
        } else if body.len() > 50_000 {
            errors.push(FieldError::new("body", "err-too-long"));
        }
        let target_name = self.target_name.trim().to_owned();
        if target_name.is_empty() {
            errors.push(FieldError::new("target_name", "err-required"));
        } else if target_name.chars().count() > 150 {
            errors.push(FieldError::new("target_name", "err-too-long"));
        }
        let target_role = self.target_role.trim().to_owned();
        if target_role.chars().count() > 150 {
            errors.push(FieldError::new("target_role", "err-too-long"));
        }
        let goal_text: String = self
            .goal
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '.')
            .collect();
        let goal = if goal_text.is_empty() {
            None
        } else {
            match goal_text.parse::<i64>() {
                Ok(g) if (1..=100_000_000).contains(&g) => Some(g),
                _ => {
                    errors.push(FieldError::new("goal", "err-goal"));
                    None
                }
            }
        };
        let mut tags: Vec<String> = Vec::new();
        for tag in self
            .tags
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
        {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > 10 || tags.iter().any(|t| t.chars().count() > 40) {
            errors.push(FieldError::new("tags", "err-tags"));
        }
        let closes_on = if self.closes_on.trim().is_empty() {
            None
        } else {
            match self.closes_on.trim().parse::<jiff::civil::Date>() {
                Ok(d) if d > today => Some(d),
                Ok(_) => {
                    errors.push(FieldError::new("closes_on", "err-date-past"));
                    None
                }
                Err(_) => {
                    errors.push(FieldError::new("closes_on", "err-date"));
                    None
                }
            }
        };
        let place = PetitionPlace::from_postcode(&self.place_postcode).unwrap_or_else(|code| {
            errors.push(FieldError::new("place_postcode", code));
            None
        });
        match slug {
            Some(slug) if errors.is_empty() => Ok(PetitionDraft {
                title,
                slug,
                body,
                target_name,
                target_role,
                goal,
                tags,
                closes_on,
                place,
            }),
            _ => Err(errors),
        }
    }
}

/// A petition a citizen proposes from a phone: what they witnessed, where, who
/// can fix it, and who they are. Shown again as typed when refused.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ProposalInput {
    /// What happened, in a line.
    pub title: String,
    /// What happened, in detail.
    pub description: String,
    /// Who can fix it.
    pub target_name: String,
    /// Postcode of the place (or empty when coordinates are given).
    pub postcode: String,
    /// Latitude from the phone.
    pub lat: String,
    /// Longitude from the phone.
    pub lon: String,
    /// Author's first name.
    pub first_name: String,
    /// Author's last name.
    pub last_name: String,
    /// Author's e-mail, to hear the moderation decision.
    pub email: String,
}

/// A proposal that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The petition as it will be moderated.
    pub draft: PetitionDraft,
    /// Author's full name.
    pub author_name: String,
    /// Author's address.
    pub author_email: crate::Email,
}

impl ProposalInput {
    /// Checks every field; `slug_suffix` keeps proposals with the same title apart.
    pub fn parse(&self, today: jiff::civil::Date, slug_suffix: &str) -> Result<Proposal, Vec<FieldError>> {
        let mut errors = Vec::new();
        let base = slugify(&self.title);
        let base: String = base.chars().take(40).collect();
        let base = base.trim_end_matches('-');
        // A title of punctuation only still gets a usable address.
        let base = if base.len() < 2 { "proposition" } else { base };
        let as_petition = PetitionInput {
            title: self.title.clone(),
            slug: format!("{base}-{slug_suffix}"),
            body: self.description.clone(),
            target_name: self.target_name.clone(),
            place_postcode: self.postcode.clone(),
            ..Default::default()
        };
        let draft = as_petition.parse(today).map_err(|e| {
            errors.extend(e.into_iter().map(|mut fe| {
                fe.field = match fe.field {
                    "body" => "description",
                    "place_postcode" => "postcode",
                    other => other,
                };
                fe
            }));
        });
        let coordinates = PetitionPlace::from_coordinates(&self.lat, &self.lon).unwrap_or_else(|code| {
            errors.push(FieldError::new("postcode", code));
            None
        });
        if self.postcode.trim().is_empty() && coordinates.is_none() {
            errors.push(FieldError::new("postcode", "err-place-needed"));
        }
        let first = self.first_name.trim();
        let last = self.last_name.trim();
        if first.is_empty() {
            errors.push(FieldError::new("first_name", "err-required"));
        }
        if last.is_empty() {
            errors.push(FieldError::new("last_name", "err-required"));
        }
        let email = crate::Email::parse(&self.email)
            .map_err(|_| errors.push(FieldError::new("email", "err-email")))
            .ok();
        match (draft, email) {
            (Ok(mut draft), Some(author_email)) if errors.is_empty() => {
                if let Some((lat, lon)) = coordinates {
                    let place = draft.place.get_or_insert_with(PetitionPlace::default);
                    place.lat = Some(lat);
                    place.lon = Some(lon);
                }
                Ok(Proposal {
                    draft,
                    author_name: format!("{first} {last}"),
                    author_email,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_citizen_proposal_from_a_phone_is_checked_and_placed() {
        let input = ProposalInput {
            title: "Trottoir impraticable rue des Lilas".into(),
            description: "Des travaux bloquent le trottoir depuis trois mois.".into(),
            target_name: "La mairie".into(),
            lat: "45.764".into(),
            lon: "4.8357".into(),
            first_name: "Léa".into(),
            last_name: "Martin".into(),
            email: "Lea@Example.org".into(),
            ..Default::default()
        };
        let p = input.parse(today(), "a1b2").unwrap();
        assert_eq!(p.draft.slug.as_str(), "trottoir-impraticable-rue-des-lilas-a1b2");
        assert_eq!(p.author_name, "Léa Martin");
        assert_eq!(p.draft.place.unwrap().lat, Some(45.764));
        let nowhere = ProposalInput {
            lat: String::new(),
            lon: String::new(),
            ..input.clone()
        };
        assert_eq!(nowhere.parse(today(), "x").unwrap_err()[0].code, "err-place-needed");
        let empty = ProposalInput::default().parse(today(), "x").unwrap_err();
        let fields: Vec<_> = empty.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "title",
                "description",
                "target_name",
                "postcode",
                "first_name",
                "last_name",
                "email"
            ]
        );
    }

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 26)
    }

    fn input() -> PetitionInput {
        PetitionInput {
            title: "Sauvons le puits de Kpalimé !".into(),
            body: "Le puits est **à sec**.".into(),
            target_name: "Mme la Maire".into(),
            target_role: "Maire de Kpalimé".into(),
            goal: "10 000".into(),
            tags: "Eau, Togo, eau".into(),
            closes_on: "2027-03-01".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_petition_is_accepted_with_a_slug_from_its_title() {
        let p = input().parse(today()).unwrap();
        assert_eq!(p.slug.as_str(), "sauvons-le-puits-de-kpalime");
        assert_eq!(p.goal, Some(10_000));
        assert_eq!(p.tags, ["eau", "togo"]);
        assert_eq!(p.closes_on, Some(jiff::civil::date(2027, 3, 1)));
    }

    #[test]
    fn missing_and_wrong_fields_are_all_reported() {
        let bad = PetitionInput {
            title: String::new(),
            body: " ".into(),
            goal: "lots".into(),
            closes_on: "2020-01-01".into(),
            ..Default::default()
        };
        let fields: Vec<_> = bad
            .parse(today())
            .unwrap_err()
            .iter()
            .map(|e| (e.field, e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("title", "err-required"),
                ("body", "err-required"),
                ("target_name", "err-required"),
                ("goal", "err-goal"),
                ("closes_on", "err-date-past")
            ]
        );
    }

    #[test]
    fn a_place_is_resolved_from_its_postcode() {
        let p = PetitionInput {
            place_postcode: "69001".into(),
            ..input()
        }
        .parse(today())
        .unwrap();
        let place = p.place.unwrap();
        assert_eq!(
            (place.postcode.as_str(), place.name.as_str()),
            ("69001", "Lyon 1er Arrondissement")
        );
        let bad = PetitionInput {
            place_postcode: "6900".into(),
            ..input()
        }
        .parse(today())
        .unwrap_err();
        assert_eq!((bad[0].field, bad[0].code), ("place_postcode", "err-postcode"));
        assert_eq!(
            PetitionPlace::from_coordinates("48.85", "2.35"),
            Ok(Some((48.85, 2.35)))
        );
        assert_eq!(PetitionPlace::from_coordinates("", ""), Ok(None));
        assert_eq!(PetitionPlace::from_coordinates("91", "2"), Err("err-coordinates"));
    }

    #[test]
    fn slugs_drop_accents_and_punctuation() {
        assert_eq!(slugify("  L'Œuvre d'été — à Besançon !  "), "l-oeuvre-d-ete-a-besancon");
        assert_eq!(slugify(&"mot ".repeat(30)).len(), 47);
    }

    #[test]
    fn the_ladder_moves_up_and_the_goal_wins_while_ahead() {
        assert_eq!(next_milestone(0, None), 100);
        assert_eq!(next_milestone(100, None), 500);
        assert_eq!(next_milestone(7_500, None), 10_000);
        assert_eq!(next_milestone(7_500, Some(8_000)), 8_000);
        assert_eq!(next_milestone(9_000, Some(8_000)), 10_000);
        assert_eq!(next_milestone(1_200_000, None), 2_000_000);
        assert_eq!(milestone_reached(99), 0);
        assert_eq!(milestone_reached(10_001), 10_000);
        assert_eq!(milestone_reached(2_500_000), 2_000_000);
    }

    #[test]
    fn states_move_only_forward_as_staff_decide() {
        use PetitionState::*;
        assert!(Draft.can_become(Published));
        assert!(Moderation.can_become(Rejected));
        assert!(Published.can_become(Victory));
        assert!(!Victory.can_become(Published));
        assert!(!Draft.can_become(Victory));
        assert!(Published.accepts_signatures() && !Closed.accepts_signatures());
        assert!(Closed.is_public() && !Draft.is_public());
        for s in [Draft, Moderation, Published, Closed, Victory, Rejected] {
            assert_eq!(PetitionState::parse(s.as_str()), Some(s));
        }
    }
}
