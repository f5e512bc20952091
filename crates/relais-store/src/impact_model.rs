//! What the impact store returns and accepts: the person an impact message is
//! for, what they gave to a project, outcome reports, per-update figures, API keys.

use relais_core::impact::{Contribution, ImpactChannel, Outcome, Reach};

/// The person an impact message is about to reach, as the ledger says now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImpactRecipient {
    /// The person.
    pub supporter_id: i64,
    /// Their association.
    pub org_id: i64,
    /// Address (a placeholder `…invalid` for offline gifts without one, or erased people).
    pub email: String,
    /// Mobile number, E.164.
    pub phone: Option<String>,
    /// First name, for the greeting.
    pub first_name: String,
    /// Language.
    pub locale: String,
    /// Latest word of the ledger on `email` / `impact`.
    pub email_consent: bool,
    /// Latest word of the ledger on `sms` / `impact`.
    pub sms_consent: bool,
}

impl ImpactRecipient {
    /// What [`relais_core::impact::choose_channel`] needs.
    pub fn reach(&self) -> Reach {
        Reach {
            has_phone: self.phone.is_some(),
            sms_consent: self.sms_consent,
            email_consent: self.email_consent,
            email_usable: !self.email.ends_with(".invalid"),
        }
    }

    /// Whether a message queued for `channel` to `recipient` may still leave: the
    /// person still agrees to that channel and still has that address or number.
    pub fn may_receive(&self, channel: ImpactChannel, recipient: &str) -> bool {
        match channel {
            ImpactChannel::Sms => self.sms_consent && self.phone.as_deref() == Some(recipient),
            ImpactChannel::Email => self.reach().email_usable && self.email_consent && self.email == recipient,
        }
    }
}

/// One contributor's share of a project, from their gifts restricted to it and
/// the allocations of their other gifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectShare {
    /// Cents that reached the project.
    pub cents: i64,
    /// Payment time of their first gift that did (Unix seconds).
    pub first_paid_at: i64,
    /// How many of their gifts did.
    pub gifts: i64,
}

impl ProjectShare {
    /// The share as the message tells it, with days in the time zone `tz`.
    pub fn contribution(&self, tz: &jiff::tz::TimeZone) -> Contribution {
        let first_gift = jiff::Timestamp::from_second(self.first_paid_at)
            .map(|t| t.to_zoned(tz.clone()).date())
            .unwrap_or_default();
        Contribution {
            amount: relais_core::money::Money::from_cents(self.cents),
            first_gift,
            gifts: u32::try_from(self.gifts).unwrap_or(u32::MAX),
        }
    }
}

/// How many contributors an update told, by channel (messages withdrawn before
/// they left are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImpactCount {
    /// The update.
    pub update_id: i64,
    /// Told by e-mail.
    pub email: i64,
    /// Told by SMS.
    pub sms: i64,
    /// Of those, still waiting to leave.
    pub pending: i64,
}

/// An outcome an association's system reports about one of its gifts.
#[derive(Debug, Clone)]
pub struct OutcomeReport<'a> {
    /// The checked report.
    pub outcome: &'a Outcome,
    /// The caller's `Idempotency-Key`, if it sent one.
    pub idempotency_key: Option<&'a str>,
    /// The API key that reported it.
    pub api_key_id: Option<i64>,
}

/// What became of an outcome report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeReceipt {
    /// The recorded outcome.
    pub outcome_id: i64,
    /// How the donor is told; `None`: they agreed to no message, nothing is sent.
    pub channel: Option<ImpactChannel>,
    /// The same report was already recorded (same key): nothing new was done.
    pub duplicate: bool,
}

/// A recorded outcome, for the message that tells it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredOutcome {
    /// Row id.
    pub id: i64,
    /// Association.
    pub org_id: i64,
    /// The gift used.
    pub gift_id: i64,
    /// Its donor.
    pub supporter_id: i64,
    /// The association's words, if any.
    pub message: Option<String>,
    /// `YYYY-MM-DD`.
    pub used_on: String,
}

/// An API key of an association, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKey {
    /// Row id.
    pub id: i64,
    /// What staff called it ("Logiciel du centre de collecte").
    pub name: String,
    /// The first characters of the secret, so staff can tell keys apart.
    pub prefix: String,
    /// Created.
    pub created_at: i64,
    /// Last request made with it.
    pub last_used_at: Option<i64>,
    /// Revoked (it no longer opens anything).
    pub revoked_at: Option<i64>,
}
