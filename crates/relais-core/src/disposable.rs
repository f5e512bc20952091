//! Throw-away e-mail domains (yopmail, mailinator, jetable…): signatures from them
//! cannot be confirmed by a real person later and are a favourite of fake-signature
//! scripts, so petitions refuse them.

use std::sync::OnceLock;

/// Sorted list, one domain per line (see `data/SOURCES.md`).
const LIST: &str = include_str!("../data/disposable-domains.txt");

fn domains() -> &'static [&'static str] {
    static DOMAINS: OnceLock<Vec<&'static str>> = OnceLock::new();
    DOMAINS.get_or_init(|| LIST.lines().filter(|l| !l.is_empty()).collect())
}

/// Whether `domain` (or a parent of it) is a known disposable-address domain.
pub fn is_disposable(domain: &str) -> bool {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let list = domains();
    let mut candidate = domain.as_str();
    loop {
        if list.binary_search(&candidate).is_ok() {
            return true;
        }
        match candidate.split_once('.') {
            Some((_, parent)) if parent.contains('.') => candidate = parent,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_throwaway_domains_are_recognised() {
        for d in [
            "yopmail.com",
            "mailinator.com",
            "jetable.org",
            "YOPMAIL.COM",
            "sub.mailinator.com",
        ] {
            assert!(is_disposable(d), "{d}");
        }
    }

    #[test]
    fn ordinary_providers_are_not() {
        for d in [
            "gmail.com",
            "orange.fr",
            "laposte.net",
            "free.fr",
            "proton.me",
            "example.org",
        ] {
            assert!(!is_disposable(d), "{d}");
        }
    }

    #[test]
    fn the_list_is_sorted_for_binary_search() {
        let list = domains();
        assert!(list.len() > 100_000);
        assert!(list.windows(2).all(|w| w[0] < w[1]));
    }
}
