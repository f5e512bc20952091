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
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
