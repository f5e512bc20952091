//! Tax receipts for donors ("reçu fiscal"), laid out after the Cerfa n° 11580 model
//! ("Reçu au titre des dons à certains organismes d'intérêt général") and rendered as PDF.
//!
//! The PDF is written directly with `pdf-writer`: the receipt is one fixed layout, so a
//! layout engine would only add build time. Text is real text in embedded, subsetted
//! DejaVu Sans (Type0 / Identity-H fonts with a ToUnicode map), so donors and the tax
//! administration can search and copy it, accents included.
//!
//! The same input always gives the same bytes (no clock, no random ids), so a receipt
//! can be re-rendered on demand instead of being stored.

use std::collections::BTreeMap;

use ab_glyph::{Font, FontRef, GlyphId};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

// The same files as the share images: one copy of the fonts in the repository, and
// DejaVu covers French and the Latin, Greek and Cyrillic names donors may have.
static REGULAR_TTF: &[u8] = crate::fonts::REGULAR;
static BOLD_TTF: &[u8] = crate::fonts::BOLD;

/// What a receipt says. Every field but `replaces` is required by the Cerfa model and
/// must not be blank; wording (kind of organisation, form, nature, method) is the
/// caller's, printed as given.
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    /// Unique and sequential per association and year, e.g. "2026-000123".
    pub number: &'a str,
    pub org_name: &'a str,
    /// "RNA W751234567" or "SIREN 123456782".
    pub org_legal_id: &'a str,
    pub org_address: &'a str,
    pub org_purpose: &'a str,
    /// e.g. "Association loi 1901 d'intérêt général".
    pub org_kind: &'a str,
    pub donor_name: &'a str,
    /// May span several lines ('\n').
    pub donor_address: &'a str,
    /// Already formatted, e.g. "120,00 €".
    pub amount_figures: &'a str,
    /// e.g. "cent vingt euros".
    pub amount_words: &'a str,
    /// "15/03/2026", or "du 01/01/2026 au 31/12/2026" for an annual summary.
    pub gift_dates: &'a str,
    /// e.g. "200 du CGI" or "200 et 978 du CGI".
    pub articles: &'a str,
    /// "Déclaration de don manuel", "Acte authentique", "Acte sous seing privé" or "Autres".
    pub form: &'a str,
    /// "Numéraire", "Titres de sociétés cotés" or "Autres".
    pub nature: &'a str,
    /// "Carte bancaire", "Prélèvement", "Chèque", "Espèces" or "Virement".
    pub method: &'a str,
    /// e.g. "Lyon, le 20/03/2026".
    pub place_and_date: &'a str,
    /// e.g. "Marie Dupont, présidente".
    pub signatory: &'a str,
    /// Number of a cancelled receipt that this one replaces.
    pub replaces: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// A field the Cerfa model requires is blank.
    #[error("receipt field `{0}` is empty")]
    EmptyField(&'static str),
    /// The embedded fonts cannot draw this character (emoji, CJK…). Refused rather than
    /// drawn as a box: a legal document must show the donor's name as written.
    #[error("receipt field `{field}` contains {ch:?} (U+{:04X}), which the PDF font cannot show", u32::from(*ch))]
    UnsupportedChar { field: &'static str, ch: char },
    /// The embedded fonts could not be read or subsetted (a bug, not bad input).
    #[error("receipt font: {0}")]
    Font(String),
}

/// Renders the receipt as a PDF document (A4 portrait, usually one page; very long
/// texts flow onto more pages rather than being cut).
pub fn render(r: &Receipt<'_>) -> Result<Vec<u8>, ReceiptError> {
    let fonts = Fonts::load()?;
    validate(r, &fonts)?;
    let pages = layout(r, &fonts);
    write_pdf(r, &fonts, &pages)
}

// --- Page geometry, in PDF points (1/72 in), origin at the bottom left. ---

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 48.0;
const TOP: f32 = PAGE_H - 44.0;
// Leaves room for the page footer of multi-page receipts.
const BOTTOM: f32 = 56.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const TITLE_SIZE: f32 = 15.0;
const BODY_SIZE: f32 = 10.5;
const HEADING_SIZE: f32 = 11.0;
const SMALL_SIZE: f32 = 9.0;
const LEADING: f32 = 1.38;
// Inner padding of the framed sections.
const PAD: f32 = 8.0;
const BAND_H: f32 = 19.0;
const SECTION_GAP: f32 = 12.0;

const FRAME_GRAY: f32 = 0.35;
const BAND_GRAY: f32 = 0.88;

// --- Fonts ---

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    Regular,
    Bold,
}

struct Face {
    data: &'static [u8],
    font: FontRef<'static>,
    units_per_em: f32,
    space: GlyphId,
}

impl Face {
    fn load(data: &'static [u8]) -> Result<Self, ReceiptError> {
        let font = FontRef::try_from_slice(data).map_err(|e| ReceiptError::Font(e.to_string()))?;
        let units_per_em = font
            .units_per_em()
            .ok_or_else(|| ReceiptError::Font("no units per em".into()))?;
        let space = font.glyph_id(' ');
        Ok(Self {
            data,
            font,
            units_per_em,
            space,
        })
    }

    /// The glyph drawn for `ch`. No-break spaces are drawn (and extracted) as plain
    /// spaces: they only matter to line breaking, and a plain space keeps the text
    /// searchable ("reçu n° 2026-…").
    fn glyph(&self, ch: char) -> GlyphId {
        if is_space_like(ch) {
            self.space
        } else {
            self.font.glyph_id(ch)
        }
    }

    fn advance(&self, ch: char, size: f32) -> f32 {
        self.font.h_advance_unscaled(self.glyph(ch)) * size / self.units_per_em
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|ch| self.advance(ch, size)).sum()
    }

    /// Metrics in the PDF's 1000-unit glyph space.
    fn to_pdf_units(&self, v: f32) -> f32 {
        (v * 1000.0 / self.units_per_em).round()
    }
}

fn is_space_like(ch: char) -> bool {
    ch.is_whitespace()
}

/// Spaces that must not end a line (French typography puts them before ":" and inside
/// amounts such as "1 200,00 €").
fn is_no_break(ch: char) -> bool {
    matches!(ch, '\u{a0}' | '\u{202f}' | '\u{2007}')
}

struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    fn load() -> Result<Self, ReceiptError> {
        Ok(Self {
            regular: Face::load(REGULAR_TTF)?,
            bold: Face::load(BOLD_TTF)?,
        })
    }

    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    fn width(&self, style: Style, text: &str, size: f32) -> f32 {
        self.face(style).width(text, size)
    }
}

fn validate(r: &Receipt<'_>, fonts: &Fonts) -> Result<(), ReceiptError> {
    let mut required = vec![
        ("number", r.number),
        ("org_name", r.org_name),
        ("org_legal_id", r.org_legal_id),
        ("org_address", r.org_address),
        ("org_purpose", r.org_purpose),
        ("org_kind", r.org_kind),
        ("donor_name", r.donor_name),
        ("donor_address", r.donor_address),
        ("amount_figures", r.amount_figures),
        ("amount_words", r.amount_words),
        ("gift_dates", r.gift_dates),
        ("articles", r.articles),
        ("form", r.form),
        ("nature", r.nature),
        ("method", r.method),
        ("place_and_date", r.place_and_date),
        ("signatory", r.signatory),
    ];
    // When given, the replaced receipt's number is as required as this one's.
    required.extend(r.replaces.map(|v| ("replaces", v)));
    for &(field, value) in &required {
        if value.trim().is_empty() {
            return Err(ReceiptError::EmptyField(field));
        }
    }
    for (field, value) in required {
        for ch in value.chars() {
            if is_space_like(ch) {
                continue;
            }
            // Any field may be set in bold, so both faces must have the glyph.
            let missing = [&fonts.regular, &fonts.bold].iter().any(|f| f.font.glyph_id(ch).0 == 0);
            if missing {
                return Err(ReceiptError::UnsupportedChar { field, ch });
            }
        }
    }
    Ok(())
}

// --- Layout: the receipt becomes a list of drawing operations per page. ---

enum Op {
    Text {
        style: Style,
        size: f32,
        x: f32,
        y: f32,
        text: String,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: [f32; 3],
    },
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

#[derive(Default)]
struct Page {
    ops: Vec<Op>,
}

/// A piece of text in one style; a paragraph is a list of spans.
#[derive(Clone, Copy)]
struct Span<'a> {
    style: Style,
    text: &'a str,
}

fn regular(text: &str) -> Span<'_> {
    Span {
        style: Style::Regular,
        text,
    }
}

fn bold(text: &str) -> Span<'_> {
    Span {
        style: Style::Bold,
        text,
    }
}

/// A wrapped line: runs of text, each in one style, drawn one after the other.
type Line = Vec<(Style, String)>;

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    /// Baseline-independent cursor: the top of the next thing to draw.
    y: f32,
    /// Top of the frame of the section being laid out, on the current page.
    frame_top: Option<f32>,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Page::default()],
            y: TOP,
            frame_top: None,
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.ops.push(op);
        }
    }

    fn text(&mut self, style: Style, size: f32, x: f32, baseline: f32, text: &str) {
        if !text.is_empty() {
            self.push(Op::Text {
                style,
                size,
                x,
                y: baseline,
                text: text.to_owned(),
            });
        }
    }

    /// Starts a new page when `height` does not fit, closing and reopening the current
    /// section's frame so that it is drawn on both pages.
    fn ensure(&mut self, height: f32) {
        if self.y - height >= BOTTOM {
            return;
        }
        let open_frame = self.frame_top.is_some();
        if open_frame {
            // Same room under the last line as at the end of a section.
            self.y -= PAD - BODY_SIZE * (LEADING - 1.0) / 2.0;
            self.close_frame();
        }
        self.pages.push(Page::default());
        self.y = TOP;
        if open_frame {
            self.frame_top = Some(self.y);
            self.y -= PAD;
        }
    }

    fn close_frame(&mut self) {
        if let Some(top) = self.frame_top.take() {
            let bottom = self.y;
            self.push(Op::Frame {
                x: MARGIN_X,
                y: bottom,
                w: CONTENT_W,
                h: top - bottom,
            });
        }
    }

    /// A framed section with a shaded title band, as on the Cerfa model.
    fn begin_section(&mut self, title: &str) {
        // Keep the title with at least two lines of its content.
        self.ensure(BAND_H + PAD + 2.0 * BODY_SIZE * LEADING);
        self.frame_top = Some(self.y);
        self.push(Op::Fill {
            x: MARGIN_X,
            y: self.y - BAND_H,
            w: CONTENT_W,
            h: BAND_H,
            rgb: [BAND_GRAY; 3],
        });
        let baseline = self.y - BAND_H + (BAND_H - HEADING_SIZE * 0.72) / 2.0;
        self.text(Style::Bold, HEADING_SIZE, MARGIN_X + PAD, baseline, title);
        self.y -= BAND_H + PAD;
    }

    fn end_section(&mut self) {
        self.y -= PAD - BODY_SIZE * (LEADING - 1.0) / 2.0;
        self.close_frame();
        self.y -= SECTION_GAP;
    }

    /// Wraps `spans` into lines no wider than `width`. Breaks at spaces (not at no-break
    /// spaces) and at '\n'; a word longer than a whole line is cut where it overflows.
    fn wrap(&self, spans: &[Span<'_>], size: f32, width: f32) -> Vec<Line> {
        let words = split_words(spans);
        let mut lines: Vec<Line> = Vec::new();
        let mut line: Line = Vec::new();
        let mut line_w = 0.0;
        for word in words {
            let Some(word) = word else {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
                continue;
            };
            let word_w: f32 = word.iter().map(|(s, t)| self.fonts.width(*s, t, size)).sum();
            let space_w = line.last().map_or(0.0, |(s, _)| self.fonts.width(*s, " ", size));
            if !line.is_empty() && line_w + space_w + word_w > width {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            if line.is_empty() && word_w > width {
                for piece in self.cut_word(&word, size, width) {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line_w = piece.iter().map(|(s, t)| self.fonts.width(*s, t, size)).sum();
                    append_word(&mut line, piece);
                }
                continue;
            }
            if let Some((_, last)) = line.last_mut() {
                last.push(' ');
                line_w += space_w;
            }
            line_w += word_w;
            append_word(&mut line, word);
        }
        lines.push(line);
        // Blank input lines (e.g. "\n\n" in an address) would only leave gaps.
        lines.retain(|l| l.iter().any(|(_, t)| !t.trim().is_empty()));
        lines
    }

    /// Cuts a word too long for a whole line: after a hyphen where possible (compound
    /// names), else at the last character that fits.
    fn cut_word(&self, word: &[(Style, String)], size: f32, width: f32) -> Vec<Line> {
        let mut segments: Vec<Line> = vec![Vec::new()];
        for (style, text) in word {
            for ch in text.chars() {
                if let Some(segment) = segments.last_mut() {
                    push_char(segment, *style, ch);
                }
                if ch == '-' {
                    segments.push(Vec::new());
                }
            }
        }
        let mut pieces = Vec::new();
        let mut piece: Line = Vec::new();
        let mut piece_w = 0.0;
        for segment in segments {
            let segment_w: f32 = segment.iter().map(|(s, t)| self.fonts.width(*s, t, size)).sum();
            if piece_w + segment_w <= width {
                append_word(&mut piece, segment);
                piece_w += segment_w;
                continue;
            }
            if !piece.is_empty() {
                pieces.push(std::mem::take(&mut piece));
                piece_w = 0.0;
            }
            if segment_w <= width {
                append_word(&mut piece, segment);
                piece_w = segment_w;
                continue;
            }
            for (style, text) in &segment {
                for ch in text.chars() {
                    let w = self.fonts.face(*style).advance(ch, size);
                    if piece_w + w > width && !piece.is_empty() {
                        pieces.push(std::mem::take(&mut piece));
                        piece_w = 0.0;
                    }
                    push_char(&mut piece, *style, ch);
                    piece_w += w;
                }
            }
        }
        if !piece.is_empty() {
            pieces.push(piece);
        }
        pieces
    }

    fn draw_line(&mut self, line: &Line, size: f32, x: f32) {
        let baseline = self.y - size;
        let mut x = x;
        for (style, text) in line {
            self.text(*style, size, x, baseline, text);
            x += self.fonts.width(*style, text, size);
        }
    }

    #[cfg(test)]
    fn line_width(&self, line: &Line, size: f32) -> f32 {
        line.iter().map(|(s, t)| self.fonts.width(*s, t, size)).sum()
    }

    /// A paragraph across the width of the current section.
    fn paragraph(&mut self, spans: &[Span<'_>], size: f32) {
        let x = MARGIN_X + PAD;
        for line in self.wrap(spans, size, CONTENT_W - 2.0 * PAD) {
            self.ensure(size * LEADING);
            self.draw_line(&line, size, x);
            self.y -= size * LEADING;
        }
    }

    /// Width of a label column fitting all `labels`, so that values line up across sections.
    fn label_width(&self, labels: &[&str]) -> f32 {
        labels
            .iter()
            .map(|label| self.fonts.width(Style::Bold, label, BODY_SIZE))
            .fold(0.0, f32::max)
            + 12.0
    }

    /// Label / value rows: labels in bold in a left column, values wrapped in the right one.
    fn rows(&mut self, label_w: f32, rows: &[(&str, &str)]) {
        let x_label = MARGIN_X + PAD;
        let x_value = x_label + label_w;
        let value_w = MARGIN_X + CONTENT_W - PAD - x_value;
        let step = BODY_SIZE * LEADING;
        for (label, value) in rows {
            let lines = self.wrap(&[regular(value)], BODY_SIZE, value_w);
            // A short value stays with its label; a long one may continue on the next page.
            self.ensure(step * lines.len().min(3) as f32);
            self.draw_line(&vec![(Style::Bold, (*label).to_owned())], BODY_SIZE, x_label);
            for line in &lines {
                self.ensure(step);
                self.draw_line(line, BODY_SIZE, x_value);
                self.y -= step;
            }
            self.y -= 3.0;
        }
    }
}

/// Words of a paragraph, `None` standing for a forced line break. A word may mix styles
/// ("120,00 €" in bold followed by a regular ".").
fn split_words(spans: &[Span<'_>]) -> Vec<Option<Line>> {
    let mut words = Vec::new();
    let mut word: Line = Vec::new();
    for span in spans {
        for ch in span.text.chars() {
            match ch {
                '\n' => {
                    if !word.is_empty() {
                        words.push(Some(std::mem::take(&mut word)));
                    }
                    words.push(None);
                }
                c if is_space_like(c) && !is_no_break(c) => {
                    if !word.is_empty() {
                        words.push(Some(std::mem::take(&mut word)));
                    }
                }
                c => push_char(&mut word, span.style, c),
            }
        }
    }
    if !word.is_empty() {
        words.push(Some(word));
    }
    words
}

fn push_char(line: &mut Line, style: Style, ch: char) {
    match line.last_mut() {
        Some((s, text)) if *s == style => text.push(ch),
        _ => line.push((style, ch.to_string())),
    }
}

fn append_word(line: &mut Line, word: Line) {
    for (style, text) in word {
        match line.last_mut() {
            Some((s, t)) if *s == style => t.push_str(&text),
            _ => line.push((style, text)),
        }
    }
}

const TITLE: &str = "Reçu au titre des dons à certains organismes d'intérêt général";
const SUBTITLE: &str = "Article 200, 238 bis et 978 du code général des impôts";

fn layout(r: &Receipt<'_>, fonts: &Fonts) -> Vec<Page> {
    let mut l = Layout::new(fonts);

    // Receipt number, top right.
    let number_w = fonts.width(Style::Bold, r.number, 13.0);
    let box_w = (number_w + 2.0 * PAD).clamp(140.0, CONTENT_W / 2.0);
    let number_lines = l.wrap(&[bold(r.number)], 13.0, box_w - 2.0 * PAD);
    let box_h = 28.0 + 16.0 * number_lines.len() as f32;
    let box_x = MARGIN_X + CONTENT_W - box_w;
    l.push(Op::Frame {
        x: box_x,
        y: TOP - box_h,
        w: box_w,
        h: box_h,
    });
    l.text(
        Style::Regular,
        BODY_SIZE - 0.5,
        box_x + PAD,
        TOP - 15.0,
        "Numéro d'ordre du reçu",
    );
    l.y = TOP - 20.0;
    for line in &number_lines {
        l.draw_line(line, 13.0, box_x + PAD);
        l.y -= 16.0;
    }
    l.y = TOP;

    // Title and legal basis, left of the number box.
    let title_w = CONTENT_W - box_w - 16.0;
    for line in l.wrap(&[bold(TITLE)], TITLE_SIZE, title_w) {
        l.draw_line(&line, TITLE_SIZE, MARGIN_X);
        l.y -= TITLE_SIZE * 1.25;
    }
    l.y -= 2.0;
    for line in l.wrap(&[regular(SUBTITLE)], BODY_SIZE, title_w) {
        l.draw_line(&line, BODY_SIZE, MARGIN_X);
        l.y -= BODY_SIZE * LEADING;
    }
    l.y = l.y.min(TOP - box_h) - 16.0;

    if let Some(old) = r.replaces {
        let text = format!("Ce reçu annule et remplace le reçu n°\u{a0}{old}.");
        let lines = l.wrap(&[bold(&text)], BODY_SIZE, CONTENT_W - 2.0 * PAD);
        let h = lines.len() as f32 * BODY_SIZE * LEADING + 2.0 * 6.0;
        l.push(Op::Fill {
            x: MARGIN_X,
            y: l.y - h,
            w: CONTENT_W,
            h,
            rgb: [1.0, 0.93, 0.80],
        });
        l.push(Op::Frame {
            x: MARGIN_X,
            y: l.y - h,
            w: CONTENT_W,
            h,
        });
        l.y -= 6.0 + BODY_SIZE * (LEADING - 1.0) / 2.0;
        for line in &lines {
            l.draw_line(line, BODY_SIZE, MARGIN_X + PAD);
            l.y -= BODY_SIZE * LEADING;
        }
        l.y -= 6.0 + SECTION_GAP - BODY_SIZE * (LEADING - 1.0) / 2.0;
    }

    let org_rows = [
        ("Nom ou dénomination", r.org_name),
        ("Identification", r.org_legal_id),
        ("Adresse", r.org_address),
        ("Objet", r.org_purpose),
        ("Qualité", r.org_kind),
    ];
    let donor_rows = [("Nom et prénoms", r.donor_name), ("Adresse", r.donor_address)];
    let gift_rows = [
        ("Forme du don", r.form),
        ("Nature du don", r.nature),
        ("Mode de versement", r.method),
    ];
    let labels: Vec<&str> = org_rows
        .iter()
        .chain(&donor_rows)
        .chain(&gift_rows)
        .map(|(label, _)| *label)
        .collect();
    let label_w = l.label_width(&labels);

    l.begin_section("Bénéficiaire des versements");
    l.rows(label_w, &org_rows);
    l.end_section();

    l.begin_section("Donateur");
    l.rows(label_w, &donor_rows);
    l.end_section();

    l.begin_section("Dons et versements");
    let nb = "\u{a0}:\u{a0}";
    let gap = BODY_SIZE * 0.45;
    l.paragraph(
        &[
            regular("Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit à réduction d'impôt, la somme de"),
            regular(nb),
            bold(r.amount_figures),
        ],
        BODY_SIZE,
    );
    l.y -= gap;
    l.paragraph(
        &[regular("Somme en toutes lettres"), regular(nb), bold(r.amount_words)],
        BODY_SIZE,
    );
    l.y -= gap;
    l.paragraph(
        &[regular("Date du versement ou du don"), regular(nb), bold(r.gift_dates)],
        BODY_SIZE,
    );
    l.y -= gap;
    l.paragraph(
        &[
            regular("Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit ouvrent droit à la réduction d'impôt prévue à l'article\u{a0}"),
            bold(r.articles),
            regular("."),
        ],
        BODY_SIZE,
    );
    l.y -= gap + 2.0;
    l.rows(label_w, &gift_rows);
    l.end_section();

    signature_block(&mut l, r);

    let count = l.pages.len();
    if count > 1 {
        // Pages of a long receipt must not be mixed up with another receipt's.
        for (i, page) in l.pages.iter_mut().enumerate() {
            let text = format!("Reçu n° {} — page {}/{}", r.number, i + 1, count);
            let x = MARGIN_X + CONTENT_W - fonts.width(Style::Regular, &text, SMALL_SIZE);
            page.ops.push(Op::Text {
                style: Style::Regular,
                size: SMALL_SIZE,
                x,
                y: 30.0,
                text,
            });
        }
    }
    l.pages
}

/// "Date et signature", in the right half as on the Cerfa model, with room left for a
/// handwritten signature on a printed copy.
fn signature_block(l: &mut Layout<'_>, r: &Receipt<'_>) {
    let w = (CONTENT_W / 2.0).max(250.0);
    let x = MARGIN_X + CONTENT_W - w;
    let text_w = w - 2.0 * PAD;
    let place = l.wrap(&[regular(r.place_and_date)], BODY_SIZE, text_w);
    let signatory = l.wrap(&[bold(r.signatory)], BODY_SIZE, text_w);
    let step = BODY_SIZE * LEADING;
    let sign_space = 36.0;
    let h = BAND_H + PAD + (place.len() + signatory.len()) as f32 * step + sign_space + PAD;
    l.ensure(h);
    let top = l.y;
    l.push(Op::Fill {
        x,
        y: top - BAND_H,
        w,
        h: BAND_H,
        rgb: [BAND_GRAY; 3],
    });
    let baseline = top - BAND_H + (BAND_H - HEADING_SIZE * 0.72) / 2.0;
    l.text(Style::Bold, HEADING_SIZE, x + PAD, baseline, "Date et signature");
    l.y -= BAND_H + PAD;
    for line in place.iter().chain(&signatory) {
        l.draw_line(line, BODY_SIZE, x + PAD);
        l.y -= step;
    }
    l.y -= sign_space + PAD;
    l.push(Op::Frame { x, y: top - h, w, h });
    l.y = top - h;
}

// --- PDF output ---

/// Glyphs used by one font, collected while writing the page contents.
struct UsedGlyphs {
    remapper: GlyphRemapper,
    /// New glyph id → the character it stands for, for the ToUnicode map.
    unicode: BTreeMap<u16, char>,
}

impl UsedGlyphs {
    fn new() -> Self {
        Self {
            remapper: GlyphRemapper::new(),
            unicode: BTreeMap::new(),
        }
    }

    /// Two-byte glyph codes (Identity-H) in the subset font.
    fn encode(&mut self, face: &Face, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for ch in text.chars() {
            let new = self.remapper.remap(face.glyph(ch).0);
            let shown = if is_space_like(ch) { ' ' } else { ch };
            self.unicode.entry(new).or_insert(shown);
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    // Level 6 is miniz's default: near the best ratio on fonts at a fraction of the time of 9.
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

fn write_pdf(r: &Receipt<'_>, fonts: &Fonts, pages: &[Page]) -> Result<Vec<u8>, ReceiptError> {
    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let info_id = alloc.bump();
    let font_ids = [alloc.bump(), alloc.bump()];
    let font_names = [Name(b"F0"), Name(b"F1")];
    let styles = [Style::Regular, Style::Bold];
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc.bump(), alloc.bump())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id).lang(TextStr("fr-FR"));
    pdf.document_info(info_id)
        .title(TextStr(&format!("Reçu fiscal n° {}", r.number)))
        .author(TextStr(r.org_name))
        .producer(TextStr("Relais"));
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(page_ids.len() as i32);

    let mut used = [UsedGlyphs::new(), UsedGlyphs::new()];
    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let content = page_content(page, fonts, &mut used, &font_names);
        let mut p = pdf.page(*page_id);
        p.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(*content_id);
        let mut resources = p.resources();
        let mut font_dict = resources.fonts();
        for (name, id) in font_names.iter().zip(font_ids) {
            font_dict.pair(*name, id);
        }
        font_dict.finish();
        resources.finish();
        p.finish();
        pdf.stream(*content_id, &deflate(&content)).filter(Filter::FlateDecode);
    }

    for ((style, type0_id), glyphs) in styles.iter().zip(font_ids).zip(&used) {
        write_font(&mut pdf, &mut alloc, fonts.face(*style), *style, type0_id, glyphs)?;
    }
    Ok(pdf.finish())
}

fn page_content(page: &Page, fonts: &Fonts, used: &mut [UsedGlyphs; 2], names: &[Name<'static>; 2]) -> Vec<u8> {
    let mut c = Content::new();
    let mut in_text = false;
    let mut current: Option<(Style, f32)> = None;
    for op in &page.ops {
        match op {
            Op::Text {
                style,
                size,
                x,
                y,
                text,
            } => {
                if !in_text {
                    c.begin_text();
                    in_text = true;
                }
                if current != Some((*style, *size)) {
                    c.set_font(names[*style as usize], *size);
                    current = Some((*style, *size));
                }
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
                let codes = used[*style as usize].encode(fonts.face(*style), text);
                c.show(Str(&codes));
            }
            Op::Fill { x, y, w, h, rgb } => {
                if in_text {
                    c.end_text();
                    in_text = false;
                }
                c.save_state();
                c.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
                c.rect(*x, *y, *w, *h);
                c.fill_nonzero();
                c.restore_state();
            }
            Op::Frame { x, y, w, h } => {
                if in_text {
                    c.end_text();
                    in_text = false;
                }
                c.save_state();
                c.set_stroke_gray(FRAME_GRAY);
                c.set_line_width(0.8);
                c.rect(*x, *y, *w, *h);
                c.stroke();
                c.restore_state();
            }
        }
    }
    if in_text {
        c.end_text();
    }
    c.finish().into_vec()
}

/// Embeds one font as a subsetted TrueType CID font (Type0, Identity-H).
fn write_font(
    pdf: &mut Pdf,
    alloc: &mut Ref,
    face: &Face,
    style: Style,
    type0_id: Ref,
    glyphs: &UsedGlyphs,
) -> Result<(), ReceiptError> {
    let cid_id = alloc.bump();
    let descriptor_id = alloc.bump();
    let file_id = alloc.bump();
    let cmap_id = alloc.bump();

    let base = match style {
        Style::Regular => "DejaVuSans",
        Style::Bold => "DejaVuSans-Bold",
    };
    // The subset tag must differ between different subsets of a font; deriving it from
    // the glyph set keeps the output deterministic.
    let base_font = format!("{}+{base}", subset_tag(&glyphs.remapper));
    let base_name = Name(base_font.as_bytes());
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0_id)
        .base_font(base_name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);

    let widths: Vec<f32> = glyphs
        .remapper
        .remapped_gids()
        .map(|old| face.to_pdf_units(face.font.h_advance_unscaled(GlyphId(old))))
        .collect();
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_name)
        .system_info(system_info)
        .font_descriptor(descriptor_id)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, widths);
    cid.finish();

    let metrics = SfntMetrics::read(face.data);
    pdf.font_descriptor(descriptor_id)
        .name(base_name)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            face.to_pdf_units(metrics.bbox[0]),
            face.to_pdf_units(metrics.bbox[1]),
            face.to_pdf_units(metrics.bbox[2]),
            face.to_pdf_units(metrics.bbox[3]),
        ))
        .italic_angle(0.0)
        .ascent(face.to_pdf_units(face.font.ascent_unscaled()))
        .descent(face.to_pdf_units(face.font.descent_unscaled()))
        .cap_height(face.to_pdf_units(metrics.cap_height))
        .stem_v(if style == Style::Bold { 140.0 } else { 80.0 })
        .font_file2(file_id);

    let subset = subsetter::subset(face.data, 0, &glyphs.remapper).map_err(|e| ReceiptError::Font(e.to_string()))?;
    pdf.stream(file_id, &deflate(&subset))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset.len() as i32);

    let mut cmap = UnicodeCmap::new(Name(b"Relais-UCS"), system_info);
    for (gid, ch) in &glyphs.unicode {
        cmap.pair(*gid, *ch);
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, &deflate(cmap.as_slice())).filter(Filter::FlateDecode);
    Ok(())
}

fn subset_tag(remapper: &GlyphRemapper) -> String {
    // FNV-1a: a stable hash (std's hasher is randomly seeded) with no extra dependency.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in remapper.remapped_gids() {
        for byte in gid.to_be_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut tag = String::with_capacity(6);
    for _ in 0..6 {
        tag.push(char::from(b'A' + (hash % 26) as u8));
        hash /= 26;
    }
    tag
}

/// The few font-wide metrics the PDF font descriptor needs that ab_glyph does not
/// expose, read from the `head` and `OS/2` tables.
struct SfntMetrics {
    bbox: [f32; 4],
    cap_height: f32,
}

impl SfntMetrics {
    fn read(data: &[u8]) -> Self {
        let head = sfnt_table(data, b"head");
        let bbox = [36, 38, 40, 42].map(|at| head.and_then(|t| read_i16(t, at)).map_or(0.0, f32::from));
        // sCapHeight exists from OS/2 version 2 on; 70 % of the em is the usual fallback.
        let os2 = sfnt_table(data, b"OS/2");
        let upem = head.and_then(|t| read_i16(t, 18)).map_or(2048.0, f32::from);
        let cap_height = os2.and_then(|t| read_i16(t, 88)).map_or(0.7 * upem, f32::from);
        Self { bbox, cap_height }
    }
}

fn sfnt_table<'d>(data: &'d [u8], tag: &[u8; 4]) -> Option<&'d [u8]> {
    let count = usize::from(u16::from_be_bytes([*data.get(4)?, *data.get(5)?]));
    (0..count).find_map(|i| {
        let rec = data.get(12 + 16 * i..12 + 16 * (i + 1))?;
        if &rec[0..4] != tag {
            return None;
        }
        let offset = u32::from_be_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
        let len = u32::from_be_bytes([rec[12], rec[13], rec[14], rec[15]]) as usize;
        data.get(offset..offset.checked_add(len)?)
    })
}

fn read_i16(data: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> Receipt<'static> {
        Receipt {
            number: "2026-000123",
            org_name: "Les Amis du Jardin Partagé de la Croix-Rousse",
            org_legal_id: "RNA W691234567",
            org_address: "12 rue des Pierres Plantées\n69004 Lyon",
            org_purpose: "Créer et animer des jardins partagés ouverts à tous les habitants du quartier, \
                          organiser des ateliers de jardinage écologique pour les enfants des écoles \
                          voisines et favoriser la biodiversité en ville par la plantation de haies \
                          champêtres et l'installation de nichoirs.",
            org_kind: "Association loi 1901 d'intérêt général",
            donor_name: "Éloïse Lefèvre-Núñez",
            donor_address: "3 allée des Œillets\nBâtiment B, appartement 42\n38000 Grenoble",
            amount_figures: "120,00\u{a0}€",
            amount_words: "cent vingt euros",
            gift_dates: "15/03/2026",
            articles: "200 du CGI",
            form: "Déclaration de don manuel",
            nature: "Numéraire",
            method: "Carte bancaire",
            place_and_date: "Lyon, le 20/03/2026",
            signatory: "Marie Dupont, présidente",
            replaces: None,
        }
    }

    #[test]
    fn renders_a_pdf_with_extractable_text() {
        let pdf = render(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = extract::text(&pdf);
        for needle in [
            "2026-000123",
            "Éloïse Lefèvre-Núñez",
            "cent vingt euros",
            "120,00 €",
            "Bénéficiaire des versements",
            "Reçu au titre des dons à certains",
            "organismes d'intérêt général",
            "Article 200, 238 bis et 978 du code général des impôts",
            "prévue à l'article 200 du CGI.",
            "200 du CGI",
            "3 allée des Œillets",
            "Lyon, le 20/03/2026",
            "Marie Dupont, présidente",
            "Déclaration de don manuel",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
        }
        assert!(!text.contains("annule et remplace"));
        assert_eq!(extract::page_count(&pdf), 1);
    }

    #[test]
    fn stays_small_thanks_to_subsetting() {
        let pdf = render(&sample()).unwrap();
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(render(&sample()).unwrap(), render(&sample()).unwrap());
    }

    #[test]
    fn shows_the_replaced_receipt() {
        let r = Receipt {
            replaces: Some("2026-000077"),
            articles: "200 et 978 du CGI",
            ..sample()
        };
        let text = extract::text(&render(&r).unwrap());
        assert!(
            text.contains("Ce reçu annule et remplace le reçu n° 2026-000077."),
            "{text}"
        );
        assert!(text.contains("200 et 978 du CGI"), "{text}");
    }

    #[test]
    fn wraps_long_text_within_the_margins() {
        let fonts = Fonts::load().unwrap();
        let l = Layout::new(&fonts);
        let width = 200.0;
        let lines = l.wrap(&[regular(sample().org_purpose)], BODY_SIZE, width);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(l.line_width(line, BODY_SIZE) <= width + 0.01);
        }
        let joined: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(_, t)| t.as_str()).collect())
            .collect();
        assert_eq!(
            joined.join(" "),
            sample().org_purpose.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        // Compound names too long for a line are cut after a hyphen.
        let name = "Supercalifragilistic-Expialidocious";
        let narrow = fonts.width(Style::Regular, "Supercalifragilistic-Ex", BODY_SIZE);
        let texts: Vec<String> = l
            .wrap(&[regular(name)], BODY_SIZE, narrow)
            .iter()
            .map(|l| l[0].1.clone())
            .collect();
        assert_eq!(texts, ["Supercalifragilistic-", "Expialidocious"]);
        // A single word wider than the column is cut rather than overflowing.
        let long = "x".repeat(200);
        for line in l.wrap(&[regular(&long)], BODY_SIZE, width) {
            assert!(l.line_width(&line, BODY_SIZE) <= width + 0.01);
        }
    }

    #[test]
    fn keeps_no_break_spaces_together() {
        let fonts = Fonts::load().unwrap();
        let l = Layout::new(&fonts);
        let lines = l.wrap(
            &[regular("aa bb\u{a0}cc")],
            BODY_SIZE,
            l.fonts.width(Style::Regular, "bb cc", BODY_SIZE),
        );
        let texts: Vec<&str> = lines.iter().map(|l| l[0].1.as_str()).collect();
        assert_eq!(texts, ["aa", "bb\u{a0}cc"]);
    }

    #[test]
    fn very_long_texts_flow_onto_another_page() {
        let purpose = sample().org_purpose.repeat(12);
        let r = Receipt {
            org_purpose: &purpose,
            ..sample()
        };
        let pdf = render(&r).unwrap();
        assert!(extract::page_count(&pdf) >= 2);
        let text = extract::text(&pdf);
        assert!(text.contains("Reçu n° 2026-000123 — page 2/"), "{text}");
        assert!(text.contains("Marie Dupont, présidente"));
    }

    #[test]
    fn refuses_blank_fields_and_unsupported_characters() {
        let r = Receipt {
            replaces: Some(" "),
            ..sample()
        };
        assert!(matches!(render(&r), Err(ReceiptError::EmptyField("replaces"))));
        let r = Receipt {
            donor_name: "  ",
            ..sample()
        };
        assert!(matches!(render(&r), Err(ReceiptError::EmptyField("donor_name"))));
        let r = Receipt {
            donor_name: "王小明",
            ..sample()
        };
        assert!(matches!(
            render(&r),
            Err(ReceiptError::UnsupportedChar {
                field: "donor_name",
                ch: '王'
            })
        ));
        // Greek and Cyrillic names are within the font's coverage.
        let r = Receipt {
            donor_name: "Ελένη Παπαδοπούλου, Анна Иванова",
            ..sample()
        };
        let text = extract::text(&render(&r).unwrap());
        assert!(text.contains("Ελένη Παπαδοπούλου, Анна Иванова"), "{text}");
    }

    /// A minimal text extractor for the PDFs written above (uncompressed xref, Flate
    /// streams, Type0 fonts with a ToUnicode map): it checks the text a PDF reader gets,
    /// without a PDF-reading dependency.
    mod extract {
        use std::collections::HashMap;

        struct Object {
            dict: String,
            stream: Option<Vec<u8>>,
        }

        fn objects(pdf: &[u8]) -> HashMap<u32, Object> {
            let mut out = HashMap::new();
            let mut at = 0;
            while let Some(pos) = find(pdf, b" 0 obj", at) {
                let start = pdf[..pos]
                    .iter()
                    .rposition(|b| !b.is_ascii_digit())
                    .map_or(0, |p| p + 1);
                let id: u32 = std::str::from_utf8(&pdf[start..pos]).unwrap().parse().unwrap();
                let end = find(pdf, b"endobj", pos).unwrap();
                let body = &pdf[pos + 6..end];
                let (dict, stream) = match find(body, b"stream\n", 0) {
                    Some(s) => {
                        let e = find(body, b"\nendstream", s).unwrap();
                        let raw = &body[s + 7..e];
                        let dict = String::from_utf8_lossy(&body[..s]).into_owned();
                        let data = if dict.contains("/FlateDecode") {
                            miniz_oxide::inflate::decompress_to_vec_zlib(raw).unwrap()
                        } else {
                            raw.to_vec()
                        };
                        (dict, Some(data))
                    }
                    None => (String::from_utf8_lossy(body).into_owned(), None),
                };
                out.insert(id, Object { dict, stream });
                at = end;
            }
            out
        }

        fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
            hay.get(from..)?
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|p| p + from)
        }

        /// The object number after `key` in `dict` ("/Key 12 0 R").
        fn reference(dict: &str, key: &str) -> Option<u32> {
            let rest = &dict[dict.find(key)? + key.len()..];
            rest.split_whitespace().next()?.parse().ok()
        }

        fn to_unicode(cmap: &[u8]) -> HashMap<u16, String> {
            let text = String::from_utf8_lossy(cmap);
            let mut map = HashMap::new();
            for block in text.split("beginbfchar").skip(1) {
                let block = block.split("endbfchar").next().unwrap();
                let hex: Vec<&str> = block
                    .split(['<', '>'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                for pair in hex.chunks(2) {
                    let gid = u16::from_str_radix(pair[0], 16).unwrap();
                    let units: Vec<u16> = (0..pair[1].len() / 4)
                        .map(|i| u16::from_str_radix(&pair[1][4 * i..4 * i + 4], 16).unwrap())
                        .collect();
                    map.insert(gid, String::from_utf16(&units).unwrap());
                }
            }
            map
        }

        pub fn page_count(pdf: &[u8]) -> usize {
            objects(pdf)
                .values()
                .filter(|o| o.dict.contains("/Type /Page") && !o.dict.contains("/Pages"))
                .count()
        }

        /// The text of every page, one line per baseline.
        pub fn text(pdf: &[u8]) -> String {
            let objs = objects(pdf);
            let mut pages: Vec<(&u32, &Object)> = objs
                .iter()
                .filter(|(_, o)| o.dict.contains("/Type /Page") && !o.dict.contains("/Pages"))
                .collect();
            pages.sort_by_key(|(id, _)| **id);
            let mut out = String::new();
            for (_, page) in pages {
                let fonts_at = page.dict.find("/Font").unwrap();
                let font_dict = &page.dict[fonts_at..page.dict[fonts_at..].find(">>").unwrap() + fonts_at];
                let mut cmaps: HashMap<String, HashMap<u16, String>> = HashMap::new();
                let mut tokens = font_dict.split_whitespace().skip(2);
                while let Some(name) = tokens.next() {
                    let id: u32 = tokens.next().unwrap().parse().unwrap();
                    tokens.next();
                    tokens.next();
                    let cmap_id = reference(&objs[&id].dict, "/ToUnicode").unwrap();
                    let cmap = to_unicode(objs[&cmap_id].stream.as_ref().unwrap());
                    cmaps.insert(name.trim_start_matches('/').to_owned(), cmap);
                }
                let content = objs[&reference(&page.dict, "/Contents").unwrap()]
                    .stream
                    .as_ref()
                    .unwrap();
                out.push_str(&show_text(content, &cmaps));
                out.push('\n');
            }
            out
        }

        /// Walks the content stream: `Tf` picks the font, `Tm` the position (a new
        /// baseline starts a new line), `Tj` shows two-byte glyph codes.
        fn show_text(content: &[u8], cmaps: &HashMap<String, HashMap<u16, String>>) -> String {
            let mut out = String::new();
            let mut operands: Vec<Vec<u8>> = Vec::new();
            let mut font = String::new();
            let mut last_y: Option<String> = None;
            let mut i = 0;
            while i < content.len() {
                let b = content[i];
                if b.is_ascii_whitespace() {
                    i += 1;
                } else if b == b'(' {
                    let mut s = Vec::new();
                    let mut depth = 1;
                    i += 1;
                    while depth > 0 {
                        match content[i] {
                            b'\\' => {
                                i += 1;
                                match content[i] {
                                    b'n' => s.push(b'\n'),
                                    b'r' => s.push(b'\r'),
                                    b't' => s.push(b'\t'),
                                    b'b' => s.push(8),
                                    b'f' => s.push(12),
                                    d @ b'0'..=b'7' => {
                                        let mut v = u32::from(d - b'0');
                                        for _ in 0..2 {
                                            if matches!(content[i + 1], b'0'..=b'7') {
                                                i += 1;
                                                v = v * 8 + u32::from(content[i] - b'0');
                                            }
                                        }
                                        s.push(v as u8);
                                    }
                                    c => s.push(c),
                                }
                            }
                            b'(' => {
                                depth += 1;
                                s.push(b'(');
                            }
                            b')' => {
                                depth -= 1;
                                if depth > 0 {
                                    s.push(b')');
                                }
                            }
                            c => s.push(c),
                        }
                        i += 1;
                    }
                    operands.push(s);
                } else if b == b'<' {
                    let end = i + content[i..].iter().position(|&c| c == b'>').unwrap();
                    let hex: Vec<u8> = content[i + 1..end]
                        .iter()
                        .copied()
                        .filter(|c| !c.is_ascii_whitespace())
                        .collect();
                    let bytes = hex
                        .chunks(2)
                        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                        .collect();
                    operands.push(bytes);
                    i = end + 1;
                } else {
                    let end = i
                        + 1
                        + content[i + 1..]
                            .iter()
                            .position(|c| c.is_ascii_whitespace() || matches!(c, b'(' | b'<' | b'/' | b'[' | b']'))
                            .unwrap_or(content.len() - i - 1);
                    let token = &content[i..end];
                    i = end;
                    match token {
                        b"Tf" => {
                            font = String::from_utf8(operands[0].clone())
                                .unwrap()
                                .trim_start_matches('/')
                                .to_owned()
                        }
                        b"Tm" => {
                            let y = String::from_utf8(operands[5].clone()).unwrap();
                            if last_y.as_ref().is_some_and(|l| *l != y) {
                                out.push('\n');
                            }
                            last_y = Some(y);
                        }
                        b"Tj" => {
                            for pair in operands[0].chunks(2) {
                                let gid = u16::from_be_bytes([pair[0], pair[1]]);
                                out.push_str(&cmaps[&font][&gid]);
                            }
                        }
                        _ => {}
                    }
                    if token
                        .first()
                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'*' || *c == b'\'' || *c == b'"')
                    {
                        operands.clear();
                    } else {
                        operands.push(token.to_vec());
                    }
                }
            }
            out
        }
    }
}
