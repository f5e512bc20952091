//! Who a message goes to, as the message form offers it: everyone who agreed, a
//! saved segment, or the filters the people list came with, and how each is named.

use relais_core::segment::SegmentInput;
use relais_core::settings::FieldError;
use relais_store::{Message, SavedSegment};

use crate::i18n::Tr;

/// The segment a form picked: `""` everyone who agreed, `saved:{id}` a saved
/// segment, `query:{query string}` the filters of the people list.
#[derive(Debug)]
pub(crate) struct Pick {
    pub value: String,
    pub query: String,
    pub name: String,
}

/// Reads the form's `segment` choice against the association's saved segments.
pub(crate) fn pick(raw: &str, saved: &[SavedSegment]) -> Result<Pick, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Pick {
            value: String::new(),
            query: String::new(),
            name: String::new(),
        });
    }
    if let Some(id) = raw.strip_prefix("saved:") {
        let found = saved.iter().find(|s| id.parse() == Ok(s.id));
        return found
            .map(|s| Pick {
                value: raw.to_owned(),
                query: s.query.clone(),
                name: s.name.clone(),
            })
            .ok_or_else(|| FieldError::new("segment", "err-required"));
    }
    let query = raw.strip_prefix("query:").unwrap_or(raw);
    let input = SegmentInput::from_query_string(query);
    input.parse().map_err(|_| FieldError::new("segment", "err-required"))?;
    let query = input.query_string();
    if query.is_empty() {
        // No filter: everyone who agreed.
        return pick("", saved);
    }
    Ok(Pick {
        value: format!("query:{query}"),
        query,
        name: String::new(),
    })
}

/// The choice that shows a stored message's segment.
pub(crate) fn pick_of(message: &Message, saved: &[SavedSegment]) -> String {
    if message.segment_query.is_empty() && message.segment_name.is_empty() {
        return String::new();
    }
    match saved
        .iter()
        .find(|s| s.name == message.segment_name && s.query == message.segment_query)
    {
        Some(s) => format!("saved:{}", s.id),
        None => format!("query:{}", message.segment_query),
    }
}

/// Who a message goes to, in words.
pub(crate) fn segment_label(t: &Tr, query: &str, name: &str) -> String {
    match (name.is_empty(), query.is_empty()) {
        (false, _) => name.to_owned(),
        (true, true) => t.get("message-segment-everyone"),
        (true, false) => t.arg("message-segment-filters", "query", query),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(id: i64, name: &str, query: &str) -> SavedSegment {
        SavedSegment {
            id,
            name: name.into(),
            query: query.into(),
            created_by: None,
            created_at: 0,
        }
    }

    #[test]
    fn a_choice_is_everyone_a_saved_segment_or_the_lists_filters() {
        let list = [saved(9, "Bénévoles", "tag=b%C3%A9n%C3%A9vole")];
        for everyone in ["", "query:", "  "] {
            let p = pick(everyone, &list).unwrap();
            assert_eq!((p.value.as_str(), p.query.as_str(), p.name.as_str()), ("", "", ""));
        }
        let p = pick("saved:9", &list).unwrap();
        assert_eq!(
            (p.query.as_str(), p.name.as_str()),
            ("tag=b%C3%A9n%C3%A9vole", "Bénévoles")
        );
        let p = pick("query:consent=newsletter", &list).unwrap();
        assert_eq!(
            (p.value.as_str(), p.query.as_str(), p.name.as_str()),
            ("query:consent=newsletter", "consent=newsletter", "")
        );
        // A deleted segment, another association's, or filters that do not hold: refused.
        assert_eq!(pick("saved:8", &list).unwrap_err().field, "segment");
        assert_eq!(pick("query:gave_min=beaucoup", &list).unwrap_err().field, "segment");
    }
}
