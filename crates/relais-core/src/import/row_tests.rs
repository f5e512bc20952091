use super::*;

const MAPPING: [Option<Field>; 7] = [
    Some(Field::Email),
    Some(Field::FirstName),
    Some(Field::LastName),
    Some(Field::Phone),
    Some(Field::Postcode),
    Some(Field::Tags),
    None,
];

fn record(line: usize, cells: &[&str]) -> Record {
    Record {
        line,
        cells: cells.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn check(cells: &[&str]) -> Result<ImportRow, Vec<Problem>> {
    check_row(&record(4, cells), &MAPPING, MAPPING.len())
}

#[test]
fn a_good_row_is_normalised() {
    let row = check(&[
        " Awa@Example.ORG ",
        "Awa",
        "Mensah",
        "06 12 34 56 78",
        "75011",
        "Bénévole, donateur",
        "x",
    ])
    .unwrap();
    assert_eq!(row.line, 4);
    assert_eq!(row.email.as_str(), "awa@example.org");
    assert_eq!(row.incoming.phone.as_deref(), Some("+33612345678"));
    assert_eq!(row.incoming.postcode.as_deref(), Some("75011"));
    assert_eq!(
        row.incoming.postcode_commune.as_deref(),
        Some("Paris 11e Arrondissement")
    );
    assert!(row.incoming.coordinates.is_some());
    assert_eq!(row.tags, vec!["bénévole".to_owned(), "donateur".to_owned()]);
}

#[test]
fn every_problem_of_a_row_is_named() {
    let problems = check(&["awa@@example", "Awa", "", "12", "7501", "ok, #no", ""]).unwrap_err();
    assert_eq!(
        problems,
        vec![
            Problem::BadEmail("awa@@example".into()),
            Problem::BadPhone("12".into()),
            Problem::BadTag("#no".into()),
            Problem::BadPostcode("7501".into()),
        ]
    );
    assert_eq!(
        check(&["", "Awa", "", "", "", "", ""]).unwrap_err(),
        vec![Problem::NoEmail]
    );
    assert_eq!(Problem::Duplicate { first_line: 7 }.detail(), "7");
    assert_eq!(Problem::Width { expected: 7, found: 3 }.code(), "width");
}

#[test]
fn a_row_of_another_width_is_refused_unless_only_empty_cells_trail() {
    assert_eq!(
        check(&["a@b.fr", "A"]).unwrap_err(),
        vec![Problem::Width { expected: 7, found: 2 }]
    );
    assert!(check(&["a@b.fr", "", "", "", "", "", "", "", ""]).is_ok());
    assert!(check(&["a@b.fr", "", "", "", "", "", "", "oops"]).is_err());
}

#[test]
fn foreign_postcodes_are_kept_as_written_and_countries_read_by_name() {
    let mapping = [
        Some(Field::Email),
        Some(Field::Postcode),
        Some(Field::Country),
        Some(Field::Language),
    ];
    let row = check_row(&record(2, &["a@b.be", "1000", "Belgique", "English"]), &mapping, 4).unwrap();
    assert_eq!(row.incoming.postcode.as_deref(), Some("1000"));
    assert_eq!(row.incoming.country.as_deref(), Some("BE"));
    assert_eq!(row.incoming.locale.as_deref(), Some("en"));
    assert_eq!(row.incoming.coordinates, None);
    let bad = check_row(&record(2, &["a@b.be", "", "Atlantide", "klingon"]), &mapping, 4).unwrap_err();
    assert_eq!(
        bad,
        vec![
            Problem::BadCountry("Atlantide".into()),
            Problem::BadLanguage("klingon".into())
        ]
    );
}

#[test]
fn an_address_met_twice_names_its_first_line() {
    let mut seen = Seen::default();
    let e = Email::parse("a@b.fr").unwrap();
    assert_eq!(seen.first_line(&e, 2), None);
    assert_eq!(seen.first_line(&e, 9), Some(2));
}

fn known() -> PersonFields {
    PersonFields {
        first_name: "Awa".into(),
        last_name: String::new(),
        phone: None,
        address: String::new(),
        postcode: "69001".into(),
        commune: "Lyon 1er Arrondissement".into(),
        country: "FR".into(),
        locale: "fr".into(),
        latitude: Some(45.76),
        longitude: Some(4.83),
    }
}

fn incoming() -> Incoming {
    Incoming {
        first_name: Some("Aïssata".into()),
        last_name: Some("Mensah".into()),
        phone: Some("+33612345678".into()),
        postcode: Some("75011".into()),
        postcode_commune: Some("Paris 11e Arrondissement".into()),
        coordinates: Some((48.85, 2.38)),
        locale: Some("en".into()),
        ..Incoming::default()
    }
}

#[test]
fn filling_keeps_what_is_known_and_fills_the_gaps() {
    let merged = merge(&known(), &incoming(), MergePolicy::FillEmpty);
    assert_eq!(merged.first_name, "Awa");
    assert_eq!(merged.last_name, "Mensah");
    assert_eq!(merged.phone.as_deref(), Some("+33612345678"));
    // The postcode stays, and so do its commune and coordinates.
    assert_eq!(merged.postcode, "69001");
    assert_eq!(merged.commune, "Lyon 1er Arrondissement");
    assert_eq!(merged.latitude, Some(45.76));
    assert_eq!(merged.locale, "fr");
}

#[test]
fn overwriting_takes_the_files_values_and_what_follows_the_postcode() {
    let merged = merge(&known(), &incoming(), MergePolicy::Overwrite);
    assert_eq!(merged.first_name, "Aïssata");
    assert_eq!(merged.postcode, "75011");
    assert_eq!(merged.commune, "Paris 11e Arrondissement");
    assert_eq!((merged.latitude, merged.longitude), (Some(48.85), Some(2.38)));
    assert_eq!(merged.locale, "en");
    // Empty cells are no values: nothing is wiped.
    let merged = merge(&known(), &Incoming::default(), MergePolicy::Overwrite);
    assert_eq!(merged, known());
}

#[test]
fn someone_new_gets_the_files_values_over_the_defaults() {
    let merged = merge(&PersonFields::blank(Locale::Fr), &incoming(), MergePolicy::Overwrite);
    assert_eq!(merged.first_name, "Aïssata");
    assert_eq!(merged.country, "FR");
    assert_eq!(merged.commune, "Paris 11e Arrondissement");
}
