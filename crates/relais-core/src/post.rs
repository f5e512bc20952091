//! What organisers tell a petition's signers: updates, the decision maker's
//! response, victory, and the milestones Relais announces by itself. Each is a
//! post on the petition's page and a message to every confirmed signer who agreed
//! to hear about it.

use crate::petition::{milestone_reached, next_milestone};
use crate::settings::FieldError;

/// Why a petition cannot take a post now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostRefused {
    /// Its victory was declared already.
    #[error("the victory was declared already")]
    VictoryTwice,
    /// Its state does not allow it (a draft has nobody to tell; a rejected petition cannot win).
    #[error("the petition's state does not allow this post")]
    State,
}

/// Whether a post of `kind` may be written on a petition in `state`. Checked before
/// any uploaded file is stored, and again under the write lock.
pub fn post_allowed(kind: PostKind, state: crate::petition::PetitionState) -> Result<(), PostRefused> {
    use crate::petition::PetitionState;
    match kind {
        PostKind::Victory if state == PetitionState::Victory => Err(PostRefused::VictoryTwice),
        PostKind::Victory if !state.can_become(PetitionState::Victory) => Err(PostRefused::State),
        PostKind::Victory => Ok(()),
        _ if !state.is_public() => Err(PostRefused::State),
        _ => Ok(()),
    }
}

/// The kinds of post. Staff write the first three; milestones are written by Relais.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostKind {
    /// News about the mobilisation.
    Update,
    /// The decision maker answered.
    Response,
    /// The petition won.
    Victory,
    /// The petition passed a step of its ladder.
    Milestone,
}

impl PostKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Update => "update",
            Self::Response => "response",
            Self::Victory => "victory",
            Self::Milestone => "milestone",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "update" => Self::Update,
            "response" => Self::Response,
            "victory" => Self::Victory,
            "milestone" => Self::Milestone,
            _ => return None,
        })
    }
}

/// The consent purpose that lets a petition's organisers write to its signers.
/// Recorded in the ledger when someone signs with the box ticked.
pub fn updates_purpose(petition_id: i64) -> String {
    format!("petition:{petition_id}:updates")
}

/// The petition a consent purpose is about, when it is [`updates_purpose`]'s.
pub fn petition_of_purpose(purpose: &str) -> Option<i64> {
    purpose
        .strip_prefix("petition:")?
        .strip_suffix(":updates")?
        .parse()
        .ok()
}

/// The outbox topic of a post's messages: how sent, failed and clicks are counted per post.
pub fn post_topic(post_id: i64) -> String {
    format!("post:{post_id}")
}

/// The longest post text: a long update is read on a phone, in an e-mail.
const MAX_BODY: usize = 20_000;

/// A post as staff type it; shown again as typed when refused.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PostInput {
    /// Text, Markdown (the victory story, the response's text).
    pub body: String,
    /// Date of the response `YYYY-MM-DD` (responses only; empty: today).
    pub responded_on: String,
}

/// A checked post, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct PostDraft {
    /// Kind.
    pub kind: PostKind,
    /// Text, Markdown, trimmed.
    pub body: String,
    /// When the decision maker answered (responses only).
    pub responded_on: Option<jiff::civil::Date>,
}

impl PostInput {
    /// Checks the fields for a post of `kind` written on `today`.
    pub fn parse(&self, kind: PostKind, today: jiff::civil::Date) -> Result<PostDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            errors.push(FieldError::new("body", "err-required"));
        } else if body.len() > MAX_BODY {
            errors.push(FieldError::new("body", "err-too-long"));
        }
        let responded_on = if kind == PostKind::Response {
            let raw = self.responded_on.trim();
            if raw.is_empty() {
                Some(today)
            } else {
                match raw.parse::<jiff::civil::Date>() {
                    // A response cannot come from the future; a typo in the year is likelier.
                    Ok(d) if d <= today => Some(d),
                    Ok(_) => {
                        errors.push(FieldError::new("responded_on", "err-date-future"));
                        None
                    }
                    Err(_) => {
                        errors.push(FieldError::new("responded_on", "err-date"));
                        None
                    }
                }
            }
        } else {
            None
        };
        if errors.is_empty() {
            Ok(PostDraft {
                kind,
                body,
                responded_on,
            })
        } else {
            Err(errors)
        }
    }
}

/// At most one milestone message per petition per day: a petition that climbs
/// from 500 to 5,000 in an afternoon must not write to its signers three times.
pub const MILESTONE_INTERVAL_SECS: i64 = 86_400;

/// The milestone to announce now, if any, with the next step to aim for: the
/// highest step reached that was not announced yet, once the day since the last
/// announcement has passed.
pub fn milestone_due(
    confirmed: i64,
    goal: Option<i64>,
    announced: i64,
    last_announced_at: Option<i64>,
    now: i64,
) -> Option<(i64, i64)> {
    let reached = milestone_reached(confirmed);
    if reached == 0 || reached <= announced {
        return None;
    }
    if last_announced_at.is_some_and(|at| now - at < MILESTONE_INTERVAL_SECS) {
        return None;
    }
    Some((reached, next_milestone(confirmed, goal)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn posts_follow_the_petitions_state() {
        use super::{PostKind, PostRefused, post_allowed};
        use crate::petition::PetitionState;
        assert_eq!(post_allowed(PostKind::Update, PetitionState::Published), Ok(()));
        assert_eq!(
            post_allowed(PostKind::Update, PetitionState::Draft),
            Err(PostRefused::State)
        );
        assert_eq!(post_allowed(PostKind::Victory, PetitionState::Published), Ok(()));
        assert_eq!(
            post_allowed(PostKind::Victory, PetitionState::Victory),
            Err(PostRefused::VictoryTwice)
        );
        assert_eq!(
            post_allowed(PostKind::Victory, PetitionState::Draft),
            Err(PostRefused::State)
        );
    }

    use super::*;

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 11, 27)
    }

    #[test]
    fn an_update_needs_text() {
        let input = PostInput {
            body: "  \n ".into(),
            ..Default::default()
        };
        let errors = input.parse(PostKind::Update, today()).unwrap_err();
        assert_eq!(errors[0].field, "body");
        assert_eq!(errors[0].code, "err-required");
        let long = PostInput {
            body: "x".repeat(MAX_BODY + 1),
            ..Default::default()
        };
        assert_eq!(
            long.parse(PostKind::Update, today()).unwrap_err()[0].code,
            "err-too-long"
        );
    }

    #[test]
    fn a_response_is_dated_today_unless_told_and_never_in_the_future() {
        let mut input = PostInput {
            body: "Le maire accepte de recevoir une délégation.".into(),
            ..Default::default()
        };
        let draft = input.parse(PostKind::Response, today()).unwrap();
        assert_eq!(draft.responded_on, Some(today()));
        input.responded_on = "2026-11-20".into();
        assert_eq!(
            input.parse(PostKind::Response, today()).unwrap().responded_on,
            Some(jiff::civil::date(2026, 11, 20))
        );
        input.responded_on = "2027-01-01".into();
        assert_eq!(
            input.parse(PostKind::Response, today()).unwrap_err()[0].code,
            "err-date-future"
        );
        input.responded_on = "hier".into();
        assert_eq!(
            input.parse(PostKind::Response, today()).unwrap_err()[0].code,
            "err-date"
        );
        // Only responses carry a date.
        assert_eq!(input.parse(PostKind::Update, today()).unwrap().responded_on, None);
    }

    #[test]
    fn milestones_are_announced_once_and_at_most_daily() {
        let now = 1_000_000;
        assert_eq!(milestone_due(99, None, 0, None, now), None);
        assert_eq!(milestone_due(100, None, 0, None, now), Some((100, 500)));
        // Announced already.
        assert_eq!(milestone_due(450, None, 100, Some(now - 10), now), None);
        // 1,000 reached an hour after 100 was announced: wait for the day to pass…
        assert_eq!(milestone_due(1_200, None, 100, Some(now - 3_600), now), None);
        // …then announce the highest step reached, aiming at the next one.
        assert_eq!(
            milestone_due(5_300, None, 100, Some(now - MILESTONE_INTERVAL_SECS), now),
            Some((5_000, 10_000))
        );
        // The staff goal is the next aim while it is ahead.
        assert_eq!(milestone_due(1_000, Some(2_500), 500, None, now), Some((1_000, 2_500)));
        // Signatures invalidated below an announced step do not announce it again.
        assert_eq!(milestone_due(990, None, 1_000, None, now), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in [
            PostKind::Update,
            PostKind::Response,
            PostKind::Victory,
            PostKind::Milestone,
        ] {
            assert_eq!(PostKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(PostKind::parse("other"), None);
        assert_eq!(updates_purpose(7), "petition:7:updates");
        assert_eq!(petition_of_purpose(&updates_purpose(7)), Some(7));
        assert_eq!(petition_of_purpose("newsletter"), None);
        assert_eq!(petition_of_purpose("petition:x:updates"), None);
        assert_eq!(post_topic(3), "post:3");
    }
}
