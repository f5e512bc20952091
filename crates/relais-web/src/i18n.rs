//! Translations: one Fluent catalogue per language, compiled into the binary.
//! Templates call `t.get("id")`; a missing id shows the id itself (and a test
//! checks that both catalogues define the same ids).

use std::collections::HashMap;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use relais_core::Locale;

const FR: &str = include_str!("../locales/fr.ftl");
const EN: &str = include_str!("../locales/en.ftl");

/// The catalogues of every supported language.
pub struct Catalogues {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl Catalogues {
    /// Parses the embedded catalogues. They are part of the binary and checked by
    /// tests, so a syntax error here is a build defect: panic early and loudly.
    #[allow(clippy::expect_used)]
    pub fn load() -> Self {
        let mut bundles = HashMap::new();
        for (locale, source) in [(Locale::Fr, FR), (Locale::En, EN)] {
            let resource = FluentResource::try_new(source.to_owned()).expect("embedded catalogue parses");
            let lang = locale.code().parse().expect("valid language id");
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Unicode isolation marks would show up inside HTML attributes and e-mails.
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).expect("no duplicate ids");
            bundles.insert(locale, bundle);
        }
        Self { bundles }
    }

    fn format(&self, locale: Locale, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(bundle) = self.bundles.get(&locale) else {
            return id.to_owned();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, locale = locale.code(), "missing translation");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// Every message id of a language (for the catalogue consistency test).
    pub fn ids(&self, locale: Locale) -> Vec<String> {
        let source = match locale {
            Locale::Fr => FR,
            Locale::En => EN,
        };
        source
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .filter(|id| !id.is_empty() && !id.starts_with('#') && !id.starts_with(' '))
            .map(str::to_owned)
            .collect()
    }
}

/// A translator for one request's language; cheap to clone into templates.
#[derive(Clone)]
pub struct Tr {
    catalogues: Arc<Catalogues>,
    /// The language in use.
    pub locale: Locale,
}

impl Tr {
    /// A translator for `locale`.
    pub fn new(catalogues: Arc<Catalogues>, locale: Locale) -> Self {
        Self { catalogues, locale }
    }

    /// The message `id`.
    pub fn get(&self, id: &str) -> String {
        self.catalogues.format(self.locale, id, None)
    }

    /// The message `id` with one variable filled in.
    pub fn arg(&self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.to_owned());
        self.catalogues.format(self.locale, id, Some(&args))
    }

    /// The message `id` with several variables.
    pub fn args(&self, id: &str, values: &[(&str, &str)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set((*name).to_owned(), (*value).to_owned());
        }
        self.catalogues.format(self.locale, id, Some(&args))
    }

    /// The language code for `lang` attributes.
    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_define_the_same_messages() {
        let c = Catalogues::load();
        let mut fr = c.ids(Locale::Fr);
        let mut en = c.ids(Locale::En);
        fr.sort();
        en.sort();
        let only_fr: Vec<_> = fr.iter().filter(|id| !en.contains(id)).collect();
        let only_en: Vec<_> = en.iter().filter(|id| !fr.contains(id)).collect();
        assert!(
            only_fr.is_empty() && only_en.is_empty(),
            "only in fr: {only_fr:?}; only in en: {only_en:?}"
        );
        assert!(fr.len() > 50);
    }

    #[test]
    fn messages_are_translated_with_their_variables() {
        let c = Arc::new(Catalogues::load());
        let fr = Tr::new(c.clone(), Locale::Fr);
        let en = Tr::new(c, Locale::En);
        assert_eq!(fr.get("nav-sign-out"), "Se déconnecter");
        assert_eq!(en.get("nav-sign-out"), "Sign out");
        assert!(en.arg("err-color-contrast", "value", "2.1").contains("2.1"));
        assert_eq!(en.get("no-such-id"), "no-such-id");
    }
}
