//! A contributor's story: what happened on a project or a petition after they gave
//! or signed. Pages show the latest few events under each contribution; the rest
//! are one link away.

/// Of `events` sorted newest first, those at or after `since` (a gift's date, a
/// signature's): the `limit` latest, and how many there are in all. A binary search,
/// so a person with hundreds of gifts to one busy project costs little.
pub fn since<T>(events: &[T], at: impl Fn(&T) -> i64, since: i64, limit: usize) -> (&[T], usize) {
    let count = events.partition_point(|e| at(e) >= since);
    (&events[..count.min(limit)], count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_events_since_a_date_and_how_many_in_all() {
        let news = [50, 40, 40, 30, 10];
        let at = |n: &i64| *n;
        assert_eq!(since(&news, at, 35, 2), (&news[..2], 3), "at or after, newest first");
        assert_eq!(since(&news, at, 35, 10), (&news[..3], 3));
        assert_eq!(since(&news, at, 60, 3), (&news[..0], 0), "nothing yet");
        assert_eq!(
            since(&news, at, 0, 0),
            (&news[..0], 5),
            "counted even when none is shown"
        );
        assert_eq!(since(&[] as &[i64], at, 0, 3), (&[][..], 0));
    }
}
