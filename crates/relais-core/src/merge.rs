//! Merging two records of one person (the same donor who signed with a work address
//! and gave with a personal one): which record survives with which values, and which
//! pairs may not be merged at all.

/// The fields of a person's record that a merge reconciles; everything else the two
/// records hold (signatures, gifts, consents, tags, notes…) is simply moved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonFields {
    /// Normalised address (the kept record's always survives).
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Postcode.
    pub postcode: String,
    /// Country code.
    pub country: String,
    /// Language.
    pub locale: String,
    /// Mobile number (E.164).
    pub phone: Option<String>,
    /// Postal address (street and number).
    pub address: String,
    /// Commune.
    pub commune: String,
    /// Coordinates of the address or commune.
    pub coordinates: Option<(f64, f64)>,
    /// Where the person first came from (`petition`, `gift`, `import:12`…).
    pub source: String,
    /// Channels they prefer, comma-separated (`email,sms`).
    pub preferred_channels: String,
    /// First contact.
    pub created_at: i64,
    /// Latest activity.
    pub updated_at: i64,
}

/// Why a merge is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Both sides are the same record.
    #[error("a person cannot be merged with themselves")]
    SamePerson,
    /// One side was erased: merging it would tie anonymous actions back to a named
    /// person, undoing the erasure.
    #[error("an erased person cannot be merged")]
    Erased,
}

/// Whether a stored address is the placeholder erasure leaves.
pub fn is_erased(email: &str) -> bool {
    email.starts_with("erased-") && email.ends_with("@erased.invalid")
}

/// The surviving record: the kept record's values win, the other's fill what the kept
/// one lacks (a phone given only when giving, a postcode only when signing). The
/// person is known since the earlier first contact and active as of the later one.
pub fn merge(kept: &PersonFields, other: &PersonFields) -> Result<PersonFields, MergeError> {
    if is_erased(&kept.email) || is_erased(&other.email) {
        return Err(MergeError::Erased);
    }
    if kept.email == other.email {
        return Err(MergeError::SamePerson);
    }
    let fill = |a: &String, b: &String| if a.trim().is_empty() { b.clone() } else { a.clone() };
    // Where they live goes as a whole (address, postcode, commune, coordinates): a
    // street of one record with the postcode of the other would be nowhere.
    let place = if kept.address.trim().is_empty() && kept.postcode.trim().is_empty() {
        other
    } else {
        kept
    };
    // Where the person first came from is the older record's.
    let older_other = other.created_at < kept.created_at && !other.source.is_empty();
    let first = if older_other || kept.source.is_empty() {
        other
    } else {
        kept
    };
    let mut channels: Vec<&str> = Vec::new();
    for c in kept
        .preferred_channels
        .split(',')
        .chain(other.preferred_channels.split(','))
    {
        let c = c.trim();
        if !c.is_empty() && !channels.contains(&c) {
            channels.push(c);
        }
    }
    Ok(PersonFields {
        email: kept.email.clone(),
        first_name: fill(&kept.first_name, &other.first_name),
        last_name: fill(&kept.last_name, &other.last_name),
        postcode: place.postcode.clone(),
        address: place.address.clone(),
        commune: place.commune.clone(),
        coordinates: place.coordinates,
        source: first.source.clone(),
        preferred_channels: channels.join(","),
        country: fill(&kept.country, &other.country),
        locale: fill(&kept.locale, &other.locale),
        phone: kept
            .phone
            .clone()
            .filter(|p| !p.is_empty())
            .or_else(|| other.phone.clone().filter(|p| !p.is_empty())),
        created_at: kept.created_at.min(other.created_at),
        updated_at: kept.updated_at.max(other.updated_at),
    })
}

/// Why two records may be one person, as the possible-duplicates list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same mobile number.
    SamePhone,
    /// The same first and last name (whatever the case) and postcode.
    SameNameAndPostcode,
}

impl DuplicateReason {
    /// The stored and translated key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SamePhone => "same_phone",
            Self::SameNameAndPostcode => "same_name_postcode",
        }
    }
}

/// A pair as the "not the same person" table stores it: smaller id first.
pub fn ordered_pair(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: &str) -> PersonFields {
        PersonFields {
            email: email.into(),
            first_name: "Marie".into(),
            last_name: "Curie".into(),
            postcode: String::new(),
            country: "FR".into(),
            locale: "fr".into(),
            phone: None,
            created_at: 100,
            updated_at: 200,
            ..Default::default()
        }
    }

    #[test]
    fn the_kept_record_wins_and_the_other_fills_the_gaps() {
        let kept = person("marie@example.org");
        let mut other = person("m.curie@example.com");
        other.first_name = "Maria".into();
        other.postcode = "75005".into();
        other.phone = Some("+33612345678".into());
        other.created_at = 50;
        other.updated_at = 150;
        let m = merge(&kept, &other).unwrap();
        assert_eq!(m.email, "marie@example.org");
        assert_eq!(m.source, "", "neither said where they came from");
        assert_eq!(m.first_name, "Marie", "the kept name is not overwritten");
        assert_eq!(m.postcode, "75005");
        assert_eq!(m.phone.as_deref(), Some("+33612345678"));
        assert_eq!((m.created_at, m.updated_at), (50, 200));
    }

    #[test]
    fn the_place_moves_as_a_whole_channels_unite_and_the_older_source_stays() {
        let mut kept = person("a@example.org");
        kept.preferred_channels = "email".into();
        kept.source = "petition".into();
        let mut other = person("b@example.org");
        other.address = "3 rue des Lilas".into();
        other.postcode = "69003".into();
        other.commune = "Lyon".into();
        other.coordinates = Some((45.76, 4.85));
        other.preferred_channels = "sms,email".into();
        other.source = "import:4".into();
        other.created_at = 10;
        let m = merge(&kept, &other).unwrap();
        assert_eq!(
            (
                m.address.as_str(),
                m.postcode.as_str(),
                m.commune.as_str(),
                m.coordinates
            ),
            ("3 rue des Lilas", "69003", "Lyon", Some((45.76, 4.85)))
        );
        assert_eq!(m.preferred_channels, "email,sms");
        assert_eq!(m.source, "import:4", "the older record came from the import");
        // A kept postcode keeps the kept place, even without a street.
        kept.postcode = "75011".into();
        let m = merge(&kept, &other).unwrap();
        assert_eq!(
            (m.address.as_str(), m.postcode.as_str(), m.coordinates),
            ("", "75011", None)
        );
    }

    #[test]
    fn a_blank_name_is_a_gap_and_the_kept_phone_stays() {
        let mut kept = person("a@example.org");
        kept.first_name = "  ".into();
        kept.phone = Some("+33600000001".into());
        let mut other = person("b@example.org");
        other.phone = Some("+33600000002".into());
        let m = merge(&kept, &other).unwrap();
        assert_eq!(m.first_name, "Marie");
        assert_eq!(m.phone.as_deref(), Some("+33600000001"));
    }

    #[test]
    fn erased_records_and_self_merges_are_refused() {
        let kept = person("a@example.org");
        assert_eq!(merge(&kept, &kept), Err(MergeError::SamePerson));
        let erased = person("erased-12@erased.invalid");
        assert_eq!(merge(&kept, &erased), Err(MergeError::Erased));
        assert_eq!(merge(&erased, &kept), Err(MergeError::Erased));
        assert!(
            !is_erased("erased-fan@example.org"),
            "a real address that looks alike is not erased"
        );
    }

    #[test]
    fn pairs_are_stored_smaller_first() {
        assert_eq!(ordered_pair(9, 4), (4, 9));
        assert_eq!(ordered_pair(4, 9), (4, 9));
        assert_eq!(DuplicateReason::SamePhone.as_str(), "same_phone");
    }
}
