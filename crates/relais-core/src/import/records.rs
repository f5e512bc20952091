//! Cells out of a file's lines, with CSV quoting, keeping each record's line number.
//!
//! Quoted cells may hold separators, doubled quotes and line breaks (a postal address
//! on two lines). A quote that is never closed would swallow the rest of the file as
//! one cell, so a record that runs over [`MAX_SPAN`] lines, reaches the end of the
//! file inside quotes, or spans several lines with the wrong number of cells is
//! refused as an unclosed quote on its first line, and reading starts again on the
//! line after it: one broken line costs one line, never the rest of the file.

use std::collections::VecDeque;

/// The most lines one quoted cell may run over.
pub const MAX_SPAN: usize = 20;

/// One record: its first line (from 1) and its cells, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line it starts on.
    pub line: usize,
    /// Its cells, in order.
    pub cells: Vec<String>,
}

/// Why a record could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteError {
    /// A quote opened and never closed.
    Unclosed,
    /// Text right after a closing quote (`"abc"def`).
    Stray,
}

/// A record that could not be read, by its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenRecord {
    /// The line it starts on.
    pub line: usize,
    /// What is wrong with its quoting.
    pub error: QuoteError,
}

/// Reads records from numbered lines (without their line breaks).
pub struct Records<I> {
    lines: I,
    /// Lines given back after a broken record, read again first.
    pending: VecDeque<(usize, String)>,
    separator: char,
    /// The header's width, once known: a multi-line record of another width is a broken quote.
    width: Option<usize>,
}

enum Parsed {
    Done(Vec<String>),
    /// Still inside quotes at the end of the text.
    Open,
    Stray,
}

fn parse(text: &str, separator: char) -> Parsed {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    loop {
        // The start of a cell: quoted or not.
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Parsed::Open,
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cell.push(c),
                }
            }
            // Spaces after the closing quote are tolerated; anything else is not.
            while chars.peek().is_some_and(|c| *c == ' ') {
                chars.next();
            }
            match chars.next() {
                None => {
                    cells.push(std::mem::take(&mut cell));
                    return Parsed::Done(cells);
                }
                Some(c) if c == separator => cells.push(std::mem::take(&mut cell)),
                Some(_) => return Parsed::Stray,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        cells.push(std::mem::take(&mut cell).trim().to_owned());
                        return Parsed::Done(cells);
                    }
                    Some(c) if c == separator => {
                        cells.push(std::mem::take(&mut cell).trim().to_owned());
                        break;
                    }
                    Some(c) => cell.push(c),
                }
            }
        }
        // Spaces before an opening quote, as some tools write `a, "b"`.
        let mut ahead = chars.clone();
        while ahead.peek() == Some(&' ') {
            ahead.next();
        }
        if ahead.peek() == Some(&'"') {
            chars = ahead;
        }
    }
}

impl<I: Iterator<Item = (usize, String)>> Records<I> {
    /// Reads `lines` with `separator` between cells.
    pub fn new(lines: I, separator: char) -> Self {
        Self {
            lines,
            pending: VecDeque::new(),
            separator,
            width: None,
        }
    }

    /// Sets the number of cells a record should have (the header's).
    pub fn set_width(&mut self, width: usize) {
        self.width = Some(width);
    }

    fn next_line(&mut self) -> Option<(usize, String)> {
        self.pending.pop_front().or_else(|| self.lines.next())
    }

    /// Gives back every line of a broken record but its first, to be read again.
    fn resync(&mut self, taken: Vec<(usize, String)>, error: QuoteError) -> BrokenRecord {
        let line = taken.first().map_or(0, |(n, _)| *n);
        for l in taken.into_iter().skip(1).rev() {
            self.pending.push_front(l);
        }
        BrokenRecord { line, error }
    }
}

impl<I: Iterator<Item = (usize, String)>> Iterator for Records<I> {
    type Item = Result<Record, BrokenRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        let (line, first) = loop {
            let (n, text) = self.next_line()?;
            if !text.trim().is_empty() {
                break (n, text);
            }
        };
        let mut text = first.clone();
        let mut taken = vec![(line, first)];
        loop {
            match parse(&text, self.separator) {
                Parsed::Done(cells) => {
                    let spans = taken.len() > 1;
                    if spans && self.width.is_some_and(|w| w != cells.len()) {
                        return Some(Err(self.resync(taken, QuoteError::Unclosed)));
                    }
                    return Some(Ok(Record { line, cells }));
                }
                Parsed::Stray => {
                    // Over several lines, a quote that "closes" before stray text is
                    // another line's opening quote: the first line's never closed.
                    let error = if taken.len() > 1 {
                        QuoteError::Unclosed
                    } else {
                        QuoteError::Stray
                    };
                    return Some(Err(self.resync(taken, error)));
                }
                Parsed::Open => {
                    if taken.len() > MAX_SPAN {
                        return Some(Err(self.resync(taken, QuoteError::Unclosed)));
                    }
                    match self.next_line() {
                        Some((n, more)) => {
                            text.push('\n');
                            text.push_str(&more);
                            taken.push((n, more));
                        }
                        None => return Some(Err(self.resync(taken, QuoteError::Unclosed))),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, sep: char, width: Option<usize>) -> Vec<Result<Record, BrokenRecord>> {
        let lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.to_owned()));
        let mut r = Records::new(lines, sep);
        if let Some(w) = width {
            r.set_width(w);
        }
        r.collect()
    }

    fn ok(line: usize, cells: &[&str]) -> Result<Record, BrokenRecord> {
        Ok(Record {
            line,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        })
    }

    #[test]
    fn quoted_cells_hold_separators_quotes_and_line_breaks() {
        let text = "a;\"b;c\";\"dit \"\"non\"\"\"\n\n\"12 rue X\nbât. B\"; x ;y\n";
        assert_eq!(
            read(text, ';', Some(3)),
            vec![
                ok(1, &["a", "b;c", "dit \"non\""]),
                ok(3, &["12 rue X\nbât. B", "x", "y"])
            ]
        );
        assert_eq!(read("a, \"b, c\"", ',', None), vec![ok(1, &["a", "b, c"])]);
    }

    #[test]
    fn an_unclosed_quote_costs_its_own_line_only() {
        let text = "email;nom\na@x.fr;\"Dupont\nb@x.fr;Martin\nc@x.fr;Durand\n";
        assert_eq!(
            read(text, ';', Some(2)),
            vec![
                ok(1, &["email", "nom"]),
                Err(BrokenRecord {
                    line: 2,
                    error: QuoteError::Unclosed
                }),
                ok(3, &["b@x.fr", "Martin"]),
                ok(4, &["c@x.fr", "Durand"]),
            ]
        );
    }

    #[test]
    fn a_quote_closed_lines_later_with_the_wrong_width_is_unclosed() {
        // Line 2's quote pairs with line 3's: one record of three cells, not two.
        let text = "a;b\nx;\"y\nz;\"w\"\n";
        let got = read(text, ';', Some(2));
        assert_eq!(
            got[1],
            Err(BrokenRecord {
                line: 2,
                error: QuoteError::Unclosed
            })
        );
        assert_eq!(got[2], ok(3, &["z", "w"]));
    }

    #[test]
    fn text_after_a_closing_quote_is_refused() {
        let got = read("\"abc\"def;x\nok;y", ';', Some(2));
        assert_eq!(
            got[0],
            Err(BrokenRecord {
                line: 1,
                error: QuoteError::Stray
            })
        );
        assert_eq!(got[1], ok(2, &["ok", "y"]));
    }

    #[test]
    fn a_runaway_quote_stops_after_the_longest_span() {
        let mut text = String::from("\"open\n");
        for i in 0..(MAX_SPAN + 5) {
            text.push_str(&format!("line{i}\n"));
        }
        let got = read(&text, ';', None);
        assert_eq!(
            got[0],
            Err(BrokenRecord {
                line: 1,
                error: QuoteError::Unclosed
            })
        );
        assert_eq!(got.len(), MAX_SPAN + 6);
    }
}
