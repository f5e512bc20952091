//! Importing supporters from a spreadsheet (a former tool's export, HelloAsso,
//! Mailchimp): the file's text ([`text`]), its records ([`records`]), which column
//! holds what ([`Field`], guessed from French or English headers), and each row's
//! checks and merge with the person already known ([`row`]). Every refused row is
//! reported with its line and reason; nothing is dropped silently.

pub mod records;
pub mod row;
pub mod text;

/// A header cell reduced to compare: lowercase, without accents, spaces, dashes,
/// underscores, dots, apostrophes or a byte-order mark.
pub fn header_key(cell: &str) -> String {
    cell.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | '\'' | '’' | '\u{feff}' | '*' | ':'))
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ç' => 'c',
            'à' | 'â' | 'ä' => 'a',
            'ô' | 'ö' => 'o',
            'î' | 'ï' => 'i',
            'û' | 'ù' | 'ü' => 'u',
            c => c,
        })
        .collect()
}

/// A field of the supporter record a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// E-mail address: the key people are merged by.
    Email,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Phone number (stored E.164).
    Phone,
    /// Street address.
    Address,
    /// Postcode.
    Postcode,
    /// City (commune).
    City,
    /// Country (ISO code or name).
    Country,
    /// Language (`fr`, `en`).
    Language,
    /// Staff tags, several in a cell.
    Tags,
    /// Causes the person cares about, several in a cell.
    Interests,
}

impl Field {
    /// Every field, in the order the mapping step lists them.
    pub const ALL: [Field; 11] = [
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::Phone,
        Field::Address,
        Field::Postcode,
        Field::City,
        Field::Country,
        Field::Language,
        Field::Tags,
        Field::Interests,
    ];

    /// The stored (and form) name.
    pub fn key(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Phone => "phone",
            Self::Address => "address",
            Self::Postcode => "postcode",
            Self::City => "city",
            Self::Country => "country",
            Self::Language => "language",
            Self::Tags => "tags",
            Self::Interests => "interests",
        }
    }

    /// The field of a stored name.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The field a header names, in French or English (HelloAsso's and Mailchimp's
    /// exports included), or `None`.
    pub fn guess(header: &str) -> Option<Self> {
        Some(match header_key(header).as_str() {
            "email"
            | "mail"
            | "courriel"
            | "adresseemail"
            | "emailaddress"
            | "adressemail"
            | "adressecourriel"
            | "emailpayeur"
            | "emaildudonateur"
            | "adresseelectronique" => Self::Email,
            "prenom" | "firstname" | "first" | "givenname" | "prenompayeur" | "prenomdudonateur" => Self::FirstName,
            "nom" | "lastname" | "nomdefamille" | "surname" | "familyname" | "nompayeur" | "nomdudonateur" => {
                Self::LastName
            }
            "telephone" | "tel" | "phone" | "mobile" | "portable" | "phonenumber" | "numerodetelephone"
            | "telephoneportable" | "mobilephone" | "telmobile" => Self::Phone,
            "adresse" | "address" | "rue" | "adressepostale" | "street" | "address1" | "adressepayeur" => Self::Address,
            "codepostal" | "cp" | "postcode" | "zip" | "zipcode" | "postalcode" | "codepostalpayeur" => Self::Postcode,
            "ville" | "commune" | "city" | "town" | "localite" | "villepayeur" => Self::City,
            "pays" | "country" | "countrycode" | "payspayeur" => Self::Country,
            "langue" | "language" | "lang" | "locale" => Self::Language,
            "tags" | "tag" | "etiquettes" | "etiquette" | "labels" => Self::Tags,
            "centresdinteret" | "centredinteret" | "interets" | "interests" | "interest" | "causes" | "thematiques" => {
                Self::Interests
            }
            _ => return None,
        })
    }
}

/// Guesses each column's field from the header row; a field goes to its first column only.
pub fn guess_mapping(headers: &[String]) -> Vec<Option<Field>> {
    let mut taken = Vec::new();
    headers
        .iter()
        .map(|h| {
            let f = Field::guess(h).filter(|f| !taken.contains(f));
            if let Some(f) = f {
                taken.push(f);
            }
            f
        })
        .collect()
}

/// Why a mapping cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingError {
    /// No column holds the e-mail address people are merged by.
    NoEmail,
    /// Two columns say they hold the same field.
    Twice(Field),
}

/// Checks that one column holds the e-mail address and no field is chosen twice.
pub fn check_mapping(mapping: &[Option<Field>]) -> Result<(), MappingError> {
    let mut seen = Vec::new();
    for f in mapping.iter().flatten() {
        if seen.contains(f) {
            return Err(MappingError::Twice(*f));
        }
        seen.push(*f);
    }
    if seen.contains(&Field::Email) {
        Ok(())
    } else {
        Err(MappingError::NoEmail)
    }
}

/// What to do with a person already known by their e-mail address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergePolicy {
    /// Only fill the fields that are empty (the default: staff edits win).
    FillEmpty,
    /// Replace with the file's values where the file has one.
    Overwrite,
}

impl MergePolicy {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            Self::FillEmpty => "fill",
            Self::Overwrite => "overwrite",
        }
    }

    /// The policy of a stored name.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "fill" => Some(Self::FillEmpty),
            "overwrite" => Some(Self::Overwrite),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn french_and_english_headers_are_understood() {
        let fr = headers(&[
            "\u{feff}Courriel",
            "Prénom",
            "Nom",
            "Téléphone",
            "Adresse",
            "Code postal",
            "Ville",
            "Pays",
        ]);
        assert_eq!(
            guess_mapping(&fr),
            vec![
                Some(Field::Email),
                Some(Field::FirstName),
                Some(Field::LastName),
                Some(Field::Phone),
                Some(Field::Address),
                Some(Field::Postcode),
                Some(Field::City),
                Some(Field::Country)
            ]
        );
        let mailchimp = headers(&[
            "Email Address",
            "First Name",
            "Last Name",
            "ZIP",
            "TAGS",
            "MEMBER_RATING",
        ]);
        assert_eq!(
            guess_mapping(&mailchimp),
            vec![
                Some(Field::Email),
                Some(Field::FirstName),
                Some(Field::LastName),
                Some(Field::Postcode),
                Some(Field::Tags),
                None
            ]
        );
        assert_eq!(Field::guess("Centres d'intérêt"), Some(Field::Interests));
        assert_eq!(Field::guess("e-mail"), Some(Field::Email));
        assert_eq!(Field::guess("Langue"), Some(Field::Language));
        assert_eq!(Field::guess("Mobile"), Some(Field::Phone));
    }

    #[test]
    fn a_field_guessed_twice_goes_to_its_first_column() {
        let h = headers(&["Email", "Email payeur", "Nom"]);
        assert_eq!(guess_mapping(&h), vec![Some(Field::Email), None, Some(Field::LastName)]);
    }

    #[test]
    fn a_mapping_needs_one_email_column_and_no_field_twice() {
        assert_eq!(
            check_mapping(&[Some(Field::LastName), None]),
            Err(MappingError::NoEmail)
        );
        assert_eq!(
            check_mapping(&[Some(Field::Email), Some(Field::LastName), Some(Field::LastName)]),
            Err(MappingError::Twice(Field::LastName))
        );
        assert_eq!(check_mapping(&[None, Some(Field::Email)]), Ok(()));
        for f in Field::ALL {
            assert_eq!(Field::from_key(f.key()), Some(f));
        }
    }
}
