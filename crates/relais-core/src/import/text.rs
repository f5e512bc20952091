//! The bytes of an uploaded file as text: spreadsheets save UTF-8 (with or without a
//! byte-order mark) or, from Excel on Windows, Windows-1252. A file that is valid
//! UTF-8 is read as such; anything else is read as Windows-1252, which maps every
//! byte to a character, so a file is never refused for its encoding and the page
//! says which one was used (accents that look wrong tell staff to re-save it).

/// How a file's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with a byte-order mark (Excel's "CSV UTF-8"), which is skipped.
    Utf8Bom,
    /// Windows-1252 (Excel's plain "CSV" on a French Windows).
    Windows1252,
}

impl Encoding {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Bom => "utf-8-bom",
            Self::Windows1252 => "windows-1252",
        }
    }

    /// The encoding of a stored name.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "utf-8" => Self::Utf8,
            "utf-8-bom" => Self::Utf8Bom,
            "windows-1252" => Self::Windows1252,
            _ => return None,
        })
    }

    /// One line's bytes (without its line break) as text.
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            // A probe said the whole file is UTF-8; lossy only guards a file changed since.
            Self::Utf8 | Self::Utf8Bom => String::from_utf8_lossy(bytes).into_owned(),
            Self::Windows1252 => decode_1252(bytes),
        }
    }
}

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Tells, chunk by chunk, whether a whole file is UTF-8, without holding it.
#[derive(Debug, Default)]
pub struct Utf8Probe {
    /// The bytes of a character cut by the end of the previous chunk.
    carry: Vec<u8>,
    invalid: bool,
    started: bool,
    bom: bool,
}

impl Utf8Probe {
    /// Feeds the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.invalid || chunk.is_empty() {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        if !self.started {
            self.started = true;
            self.bom = bytes.starts_with(BOM);
        }
        match std::str::from_utf8(&bytes) {
            Ok(_) => {}
            // A character cut at the chunk's end: keep its start for the next chunk.
            Err(e) if e.error_len().is_none() => self.carry = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.invalid = true,
        }
    }

    /// The encoding to read the file with, once every chunk was fed.
    pub fn finish(&self) -> Encoding {
        if self.invalid || !self.carry.is_empty() {
            Encoding::Windows1252
        } else if self.bom {
            Encoding::Utf8Bom
        } else {
            Encoding::Utf8
        }
    }
}

/// Windows-1252 to text: Latin-1 except for 0x80–0x9F, where it puts €, typographic
/// quotes, dashes, œ and a few more (the five bytes it leaves undefined become U+FFFD).
pub fn decode_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž', '\u{FFFD}',
        '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}', 'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// The cell separator a header line uses: the most frequent of `;`, tab and `,`
/// outside quotes (`;` wins a tie: French exports use it, and commas appear in names).
pub fn sniff_separator(header: &str) -> char {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ',' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [';', '\t', ','];
    let best = (0..3).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    seps[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(chunks: &[&[u8]]) -> Encoding {
        let mut p = Utf8Probe::default();
        for c in chunks {
            p.feed(c);
        }
        p.finish()
    }

    #[test]
    fn utf8_with_and_without_a_byte_order_mark() {
        assert_eq!(probe(&["prénom;nom\n".as_bytes()]), Encoding::Utf8);
        assert_eq!(probe(&[b"\xEF\xBB\xBFpr\xC3\xA9nom"]), Encoding::Utf8Bom);
    }

    #[test]
    fn a_character_cut_between_two_chunks_is_still_utf8() {
        let text = "Hélène;Œuvre".as_bytes();
        let (a, b) = text.split_at(2); // inside "é"
        assert_eq!(probe(&[a, b]), Encoding::Utf8);
    }

    #[test]
    fn excel_windows_files_are_read_as_windows_1252() {
        // "Prénom;Cœur;€" as Excel saves it on a French Windows.
        let bytes = b"Pr\xE9nom;C\x9Cur;\x80";
        assert_eq!(probe(&[bytes]), Encoding::Windows1252);
        assert_eq!(Encoding::Windows1252.decode(bytes), "Prénom;Cœur;€");
        // A file ending in the middle of a character is not UTF-8 either.
        assert_eq!(probe(&[b"abc\xC3"]), Encoding::Windows1252);
    }

    #[test]
    fn encodings_round_trip_through_their_keys() {
        for e in [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Windows1252] {
            assert_eq!(Encoding::from_key(e.key()), Some(e));
        }
        assert_eq!(Encoding::from_key("latin-9"), None);
    }

    #[test]
    fn the_separator_is_the_most_frequent_outside_quotes() {
        assert_eq!(sniff_separator("email;prénom;nom"), ';');
        assert_eq!(sniff_separator("Email Address,First Name,Last Name"), ',');
        assert_eq!(sniff_separator("email\tnom"), '\t');
        assert_eq!(sniff_separator("\"nom, prénom\";email"), ';');
        assert_eq!(sniff_separator("email"), ';');
    }
}
