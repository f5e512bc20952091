//! French postcodes resolved to communes and departments.
//!
//! The gazetteer ships inside the binary (`data/fr-places.tsv`, built by
//! `tools/places/build.mjs`, provenance in `data/SOURCES.md`): a self-hosted instance must
//! place a signature without calling any outside service, and the data changes once a year.

use std::fmt;
use std::sync::OnceLock;

/// One line per (postcode, commune): postcode, INSEE code, name, department, lat, lon.
const PLACES_TSV: &str = include_str!("../data/fr-places.tsv");
/// One line per department: code, name.
const DEPARTMENTS_TSV: &str = include_str!("../data/fr-departments.tsv");

/// Mean Earth radius (IUGG), which keeps the haversine error under 0.5 % anywhere.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Why a string is not a French postcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    /// Not five digits once spaces are set aside.
    #[error("a French postcode is five digits, such as 75011")]
    Malformed,
}

/// A French postcode: five digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Postcode(String);

impl Postcode {
    /// Accepts five digits, ignoring spaces anywhere, since people split postcodes like phone numbers ("75 011").
    pub fn parse(input: &str) -> Result<Self, PostcodeError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        // A four-digit "1400" is refused rather than padded: it is as likely a mistyped
        // digit as a spreadsheet's lost leading zero, and only the supporter knows which.
        if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PostcodeError::Malformed);
        }
        Ok(Self(digits))
    }

    /// The five digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A commune served by a postcode (Paris, Lyon and Marseille appear as their arrondissements).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// The five-digit postcode.
    pub postcode: &'static str,
    /// INSEE code, the commune's stable identifier ("2A004" for Ajaccio, "75111" for Paris 11e).
    pub insee: &'static str,
    /// Official name, with accents.
    pub name: &'static str,
    /// Department code: "01"–"95", "2A", "2B", or three digits overseas ("974").
    pub department: &'static str,
    /// Latitude in degrees (WGS84), only for the quarter of communes GeoNames knows.
    pub lat: Option<f64>,
    /// Longitude in degrees (WGS84), present exactly when `lat` is.
    pub lon: Option<f64>,
}

impl Place {
    /// `(lat, lon)` ready for [`distance_km`], when the commune has coordinates.
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        Some((self.lat?, self.lon?))
    }
}

/// The gazetteer of France: every (postcode, commune) pair, and the department names.
pub struct Places {
    /// Sorted by postcode, so that one postcode's communes are a contiguous slice.
    places: Vec<Place>,
    /// Sorted by code, for binary search.
    departments: Vec<(&'static str, &'static str)>,
}

impl fmt::Debug for Places {
    // 35,000 rows are no help in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Places")
            .field("places", &self.places.len())
            .field("departments", &self.departments.len())
            .finish()
    }
}

impl Places {
    /// The embedded gazetteer, parsed on first use and shared afterwards.
    pub fn france() -> &'static Places {
        static FRANCE: OnceLock<Places> = OnceLock::new();
        FRANCE.get_or_init(|| {
            // Cannot fail at run time: both texts are compile-time constants, and the test
            // `the_embedded_file_parses_whole_and_fast` parses these very texts.
            parse(PLACES_TSV, DEPARTMENTS_TSV).expect("the embedded gazetteer is well formed")
        })
    }

    /// All communes sharing that postcode, by name; empty when La Poste does not use it.
    pub fn by_postcode(&self, postcode: &Postcode) -> &[Place] {
        let code = postcode.as_str();
        let start = self.places.partition_point(|p| p.postcode < code);
        let end = start + self.places[start..].partition_point(|p| p.postcode == code);
        &self.places[start..end]
    }

    /// The department's name ("Corse-du-Sud" for "2A"), if the code is a department.
    pub fn department_name(&self, code: &str) -> Option<&str> {
        self.department(code).map(|(_, name)| name)
    }

    /// The postcode's department: from the data when all its communes agree, else from its digits.
    ///
    /// The digits rule, for postcodes unknown to the data or shared across a border:
    /// - `20` + `0`/`1` is Corse-du-Sud (2A), `20` + anything else Haute-Corse (2B): every
    ///   200xx and 201xx in the data is in 2A, every 202xx and 206xx in 2B;
    /// - `97`/`98` + one digit is an overseas department or collectivity (974 La Réunion,
    ///   987 French Polynesia…) when that three-digit code exists; 980 is Monaco, not French;
    /// - otherwise the first two digits, when they are a department (so `00`, `96`, `99`
    ///   give none).
    ///
    /// The data wins because some communes use a post office across a border (94390 is
    /// Paray-Vieille-Poste, in 91), and Saint-Barthélemy (977) uses 97133.
    pub fn department_of(postcode: &Postcode) -> Option<String> {
        let france = Self::france();
        let known = france.by_postcode(postcode);
        if let Some(first) = known.first()
            && known.iter().all(|p| p.department == first.department)
        {
            return Some(first.department.to_owned());
        }
        france.department_from_digits(postcode.as_str()).map(str::to_owned)
    }

    /// Where a postcode is: its first commune that has coordinates.
    pub fn center_of(&self, postcode: &Postcode) -> Option<(f64, f64)> {
        self.by_postcode(postcode).iter().find_map(Place::coordinates)
    }

    /// Every postcode with a commune within `km` of `center`, sorted, each once: a
    /// "within R km" search becomes an index lookup on the postcode. Communes without
    /// coordinates are never within any distance.
    pub fn postcodes_within(&self, center: (f64, f64), km: f64) -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = self
            .places
            .iter()
            .filter(|p| p.coordinates().is_some_and(|c| distance_km(center, c) <= km))
            .map(|p| p.postcode)
            .collect();
        codes.dedup();
        codes
    }

    /// Number of (postcode, commune) pairs.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether there is no pair at all (never, for [`Places::france`]).
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    fn department(&self, code: &str) -> Option<(&'static str, &'static str)> {
        let i = self.departments.binary_search_by(|(c, _)| (*c).cmp(code)).ok()?;
        self.departments.get(i).copied()
    }

    fn department_from_digits(&self, digits: &str) -> Option<&'static str> {
        let code = match digits.as_bytes() {
            [b'2', b'0', b'0' | b'1', ..] => "2A",
            [b'2', b'0', ..] => "2B",
            [b'9', b'7' | b'8', ..] => digits.get(..3)?,
            _ => digits.get(..2)?,
        };
        self.department(code).map(|(code, _)| code)
    }
}

/// Great-circle distance in km (haversine), for "within R km" later.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    // `min` guards asin against a rounding error pushing h just above 1 for antipodes.
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Where the embedded text is not what `tools/places/build.mjs` writes.
#[derive(Debug, PartialEq, Eq)]
struct BadLine {
    file: &'static str,
    line: usize,
}

impl BadLine {
    /// From the 0-based index `lines().enumerate()` gives to the 1-based number editors show.
    fn at(file: &'static str, index: usize) -> Self {
        Self { file, line: index + 1 }
    }
}

fn parse(places_tsv: &'static str, departments_tsv: &'static str) -> Result<Places, BadLine> {
    let mut departments: Vec<(&'static str, &'static str)> = Vec::with_capacity(120);
    for (i, line) in departments_tsv.lines().enumerate() {
        let bad = || BadLine::at("fr-departments.tsv", i);
        let (code, name) = line.split_once('\t').ok_or_else(bad)?;
        // department() binary-searches them.
        let sorted = departments.last().is_none_or(|(previous, _)| *previous < code);
        if code.is_empty() || name.is_empty() || name.contains('\t') || !sorted {
            return Err(bad());
        }
        departments.push((code, name));
    }
    let mut parsed = Places {
        places: Vec::with_capacity(36_000),
        departments,
    };
    for (i, line) in places_tsv.lines().enumerate() {
        let bad = || BadLine::at("fr-places.tsv", i);
        let place = parse_place(line, &parsed).ok_or_else(bad)?;
        // by_postcode() relies on this order.
        if parsed
            .places
            .last()
            .is_some_and(|previous| previous.postcode > place.postcode)
        {
            return Err(bad());
        }
        parsed.places.push(place);
    }
    Ok(parsed)
}

fn parse_place(line: &'static str, known: &Places) -> Option<Place> {
    let mut fields = line.split('\t');
    let mut next = || fields.next();
    let (postcode, insee, name, department, lat, lon) = (next()?, next()?, next()?, next()?, next()?, next()?);
    if fields.next().is_some()
        || Postcode::parse(postcode).ok()?.as_str() != postcode
        || insee.len() != 5
        || name.is_empty()
        || known.department(department).is_none()
    {
        return None;
    }
    let (lat, lon) = match (lat, lon) {
        ("", "") => (None, None),
        (lat, lon) => {
            let (lat, lon) = (lat.parse::<f64>().ok()?, lon.parse::<f64>().ok()?);
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return None;
            }
            (Some(lat), Some(lon))
        }
    };
    Some(Place {
        postcode,
        insee,
        name,
        department,
        lat,
        lon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn at(postcode: &str) -> &'static [Place] {
        Places::france().by_postcode(&Postcode::parse(postcode).unwrap())
    }

    fn department_of(postcode: &str) -> Option<String> {
        Places::department_of(&Postcode::parse(postcode).unwrap())
    }

    fn names(places: &[Place]) -> Vec<&str> {
        places.iter().map(|p| p.name).collect()
    }

    #[test]
    fn a_paris_postcode_resolves_to_its_arrondissement() {
        let places = at("75011");
        assert_eq!(names(places), ["Paris 11e Arrondissement"]);
        assert_eq!((places[0].insee, places[0].department), ("75111", "75"));
        let paris = places[0].coordinates().unwrap();
        assert!(distance_km(paris, (48.8566, 2.3522)) < 5.0, "{paris:?}");
        // The 16th has two postcodes; both lead to it.
        assert_eq!(names(at("75016")), ["Paris 16e Arrondissement"]);
        assert_eq!(names(at("75116")), ["Paris 16e Arrondissement"]);
    }

    #[test]
    fn lyon_and_marseille_postcodes_resolve_to_their_arrondissements() {
        let lyon = at("69001");
        assert_eq!(names(lyon), ["Lyon 1er Arrondissement"]);
        assert_eq!((lyon[0].insee, lyon[0].department), ("69381", "69"));
        assert!(lyon[0].coordinates().is_some());
        let marseille = at("13001");
        assert_eq!(names(marseille), ["Marseille 1er Arrondissement"]);
        assert_eq!((marseille[0].insee, marseille[0].department), ("13201", "13"));
        assert!(marseille[0].coordinates().is_some());
    }

    #[test]
    fn a_postcode_shared_by_several_villages_lists_them_all() {
        let places = at("01400");
        assert_eq!(
            names(places),
            [
                "Chanoz-Châtenay",
                "Châtillon-sur-Chalaronne",
                "Condeissiat",
                "Dompierre-sur-Chalaronne",
                "L'Abergement-Clémenciat",
                "Neuville-les-Dames",
                "Romans",
                "Saint-Georges-sur-Renon",
                "Sandrans",
                "Sulignat",
            ]
        );
        assert!(places.iter().all(|p| p.postcode == "01400" && p.department == "01"));
        assert_eq!(department_of("01400").as_deref(), Some("01"));
    }

    #[test]
    fn corsican_postcodes_fall_in_2a_or_2b() {
        let ajaccio = at("20000");
        assert_eq!(names(ajaccio), ["Ajaccio"]);
        assert_eq!((ajaccio[0].insee, ajaccio[0].department), ("2A004", "2A"));
        assert!(names(at("20200")).contains(&"Bastia"));
        assert!(at("20200").iter().all(|p| p.department == "2B"));
        assert_eq!(department_of("20000").as_deref(), Some("2A"));
        assert_eq!(department_of("20600").as_deref(), Some("2B"));
        // Unknown postcodes follow La Poste's split.
        assert!(at("20001").is_empty() && at("20199").is_empty() && at("20299").is_empty());
        assert_eq!(department_of("20001").as_deref(), Some("2A"));
        assert_eq!(department_of("20199").as_deref(), Some("2A"));
        assert_eq!(department_of("20299").as_deref(), Some("2B"));
        let france = Places::france();
        assert_eq!(france.department_name("2A"), Some("Corse-du-Sud"));
        assert_eq!(france.department_name("2B"), Some("Haute-Corse"));
        assert_eq!(france.department_name("20"), None);
    }

    #[test]
    fn overseas_postcodes_resolve_to_three_digit_departments() {
        let saint_denis = at("97400");
        assert_eq!(names(saint_denis), ["Saint-Denis"]);
        assert_eq!((saint_denis[0].insee, saint_denis[0].department), ("97411", "974"));
        let (lat, lon) = saint_denis[0].coordinates().unwrap();
        assert!(
            (-21.0..-20.8).contains(&lat) && (55.3..55.6).contains(&lon),
            "{lat} {lon}"
        );
        assert_eq!(Places::france().department_name("974"), Some("La Réunion"));
        assert_eq!(names(at("97133")), ["Saint-Barthélemy"]);
        assert_eq!(department_of("97133").as_deref(), Some("977"));
        assert_eq!(department_of("97499").as_deref(), Some("974"));
        assert_eq!(department_of("98714").as_deref(), Some("987"));
    }

    #[test]
    fn unknown_postcodes_still_give_a_department() {
        for (postcode, department) in [("75999", "75"), ("01999", "01"), ("13999", "13"), ("97499", "974")] {
            assert!(at(postcode).is_empty(), "{postcode} is in the data now: pick another");
            assert_eq!(department_of(postcode).as_deref(), Some(department), "{postcode}");
        }
        // Monaco has French-looking postcodes; 00, 96 and 99 are nobody's.
        for postcode in ["98000", "00100", "96000", "99999"] {
            assert_eq!(department_of(postcode), None, "{postcode}");
        }
    }

    #[test]
    fn a_post_office_across_a_border_keeps_each_communes_department() {
        let places = at("42620");
        assert_eq!(
            places.iter().map(|p| (p.name, p.department)).collect::<Vec<_>>(),
            [("Saint-Martin-d'Estréaux", "42"), ("Saint-Pierre-Laval", "03")]
        );
        // Mixed: the digits decide.
        assert_eq!(department_of("42620").as_deref(), Some("42"));
        // Unanimous: the data decides, although the digits say 94.
        assert_eq!(names(at("94390")), ["Paray-Vieille-Poste"]);
        assert_eq!(department_of("94390").as_deref(), Some("91"));
    }

    #[test]
    fn the_digits_rule_agrees_with_the_data_but_for_a_few_border_post_offices() {
        let france = Places::france();
        let mut disagreements = Vec::new();
        for place in &france.places {
            if france.department_from_digits(place.postcode) != Some(place.department) {
                disagreements.push((place.postcode, place.name, place.department));
            }
        }
        assert!(disagreements.contains(&("97133", "Saint-Barthélemy", "977")));
        assert!(disagreements.len() < 40, "{disagreements:#?}");
    }

    #[test]
    fn malformed_postcodes_are_refused() {
        for bad in [
            "",
            "   ",
            "7501",
            "750111",
            "75O11",
            "75-011",
            "F-75011",
            "７５０１１",
            "75011a",
        ] {
            assert_eq!(Postcode::parse(bad), Err(PostcodeError::Malformed), "{bad:?}");
        }
        assert_eq!(
            PostcodeError::Malformed.to_string(),
            "a French postcode is five digits, such as 75011"
        );
    }

    #[test]
    fn spaces_typed_around_or_inside_a_postcode_are_ignored() {
        for typed in ["75011", " 75011 ", "75 011", "75\u{a0}011", "\t75011\n"] {
            assert_eq!(Postcode::parse(typed).unwrap().as_str(), "75011", "{typed:?}");
        }
        assert_eq!(Postcode::parse("01400").unwrap().to_string(), "01400");
    }

    #[test]
    fn paris_to_lyon_is_about_392_km_as_the_crow_flies() {
        let paris = (48.8566, 2.3522);
        let lyon = (45.7640, 4.8357);
        let km = distance_km(paris, lyon);
        assert!((km - 392.0).abs() < 2.0, "{km}");
        assert!((distance_km(lyon, paris) - km).abs() < 1e-9);
        assert_eq!(distance_km(paris, paris), 0.0);
        // Antipodes: half the circumference, without NaN.
        let half = distance_km((0.0, 0.0), (0.0, 180.0));
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6, "{half}");
    }

    #[test]
    fn the_embedded_file_parses_whole_and_fast() {
        let started = Instant::now();
        let places = parse(PLACES_TSV, DEPARTMENTS_TSV).unwrap();
        let took = started.elapsed();
        // Regenerating the data changes these: see data/SOURCES.md.
        assert_eq!(places.len(), 35_493);
        assert_eq!(places.len(), PLACES_TSV.lines().count());
        assert_eq!(places.departments.len(), 109);
        assert!(!places.is_empty());
        // Unoptimised test builds on a busy machine take a few tens of milliseconds.
        assert!(took < Duration::from_secs(1), "{took:?}");
        assert_eq!(format!("{places:?}"), "Places { places: 35493, departments: 109 }");
    }

    #[test]
    fn the_gazetteer_is_parsed_once() {
        assert!(std::ptr::eq(Places::france(), Places::france()));
    }

    #[test]
    fn every_department_of_a_commune_has_a_name() {
        let france = Places::france();
        for place in &france.places {
            assert!(france.department_name(place.department).is_some(), "{place:?}");
        }
    }

    #[test]
    fn coordinates_are_complete_pairs_inside_their_department() {
        let france = Places::france();
        let mut located = 0;
        for place in &france.places {
            assert_eq!(place.lat.is_some(), place.lon.is_some(), "{place:?}");
            let Some((lat, lon)) = place.coordinates() else {
                continue;
            };
            located += 1;
            // Mainland and Corsica: a box around metropolitan France.
            if place.department.len() == 2 {
                assert!((41.3..51.1).contains(&lat) && (-5.2..9.6).contains(&lon), "{place:?}");
            }
        }
        // About a quarter of the rows, but the towns where most people live.
        assert!(located > 8_000, "{located}");
        for big in [
            "13001", "31000", "33000", "35000", "44000", "59000", "67000", "69001", "75001", "97400",
        ] {
            assert!(at(big).iter().any(|p| p.coordinates().is_some()), "{big}");
        }
    }

    #[test]
    fn a_corrupted_file_is_refused_with_its_line_number() {
        let departments = "01\tAin\n02\tAisne\n";
        let good = "01000\t01053\tBourg-en-Bresse\t01\t46.2057\t5.2258\n";
        assert_eq!(parse(good, departments).map(|p| p.len()), Ok(1));
        let cases = [
            "01000\t01053\tBourg-en-Bresse\t01\t46.2057\n",
            "01000\t01053\tBourg-en-Bresse\t01\t46.2057\t5.2258\textra\n",
            "01000\t01053\tBourg-en-Bresse\t99\t46.2057\t5.2258\n",
            "1000\t01053\tBourg-en-Bresse\t01\t\t\n",
            "01000\t01053\tBourg-en-Bresse\t01\t46.2057\t\n",
            "01000\t01053\tBourg-en-Bresse\t01\t146.2057\t5.2258\n",
            "01000\t01053\t\t01\t\t\n",
        ];
        for line in cases {
            let text = format!("{good}{line}");
            let text: &'static str = Box::leak(text.into_boxed_str());
            assert_eq!(
                parse(text, departments).map(|p| p.len()),
                Err(BadLine {
                    file: "fr-places.tsv",
                    line: 2
                })
            );
        }
        let unsorted = "02000\t02408\tLaon\t02\t\t\n01000\t01053\tBourg-en-Bresse\t01\t\t\n";
        assert_eq!(
            parse(unsorted, departments).map(|p| p.len()),
            Err(BadLine {
                file: "fr-places.tsv",
                line: 2
            })
        );
        assert_eq!(
            parse(good, "02\tAisne\n01\tAin\n").map(|p| p.len()),
            Err(BadLine {
                file: "fr-departments.tsv",
                line: 2
            })
        );
    }
}
