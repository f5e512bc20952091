//! Share images for petition pages (`og:image`, `twitter:image`): a 1200×630 PNG
//! with the association's name and colours, the petition title and the live count.
//!
//! Glyphs are rasterised in pure Rust (ab_glyph) from DejaVu Sans compiled into the
//! binary, so every server draws the same picture without system fonts. Rendering
//! is cheap but not free, and networks fetch the image in bursts when a link
//! spreads: callers cache the bytes.
//!
//! Layout: title and association name on the primary colour, and a white band at
//! the bottom for the count and progress bar in the accent colour. The band exists
//! because association colours are both chosen to carry white text (see
//! `HexColor::parse_for_white_text`), so the accent is usually too close to the
//! primary to be read on it, while it is always readable on white.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::error::{ParameterError, ParameterErrorKind};
use image::{ExtendedColorType, ImageEncoder, ImageError, RgbImage};

/// Width of the image, for `og:image:width`.
pub const WIDTH: u32 = 1200;
/// Height of the image, for `og:image:height`.
pub const HEIGHT: u32 = 630;

static BOLD: &[u8] = crate::fonts::BOLD;
static REGULAR: &[u8] = crate::fonts::REGULAR;

/// What the image shows. Colours are `#rrggbb`; anything else falls back to the
/// defaults Relais gives a new association.
pub struct ShareCard<'a> {
    /// Petition title: wrapped on word boundaries, at most four lines, then an ellipsis.
    pub title: &'a str,
    /// Association name, shown small at the top.
    pub org_name: &'a str,
    /// Already formatted, e.g. "12 345 signatures".
    pub count_label: &'a str,
    /// E.g. "Objectif : 50 000", shown to the right of the count.
    pub goal_label: Option<&'a str>,
    /// Progress towards the goal or milestone, 0.0 to 1.0; no bar when `None`.
    pub progress: Option<f32>,
    /// Background colour.
    pub primary: &'a str,
    /// Count and progress bar colour.
    pub accent: &'a str,
}

// Platforms crop a few pixels at the edges and show the image as small as ~500 px
// wide, so the margins are generous and the smallest text is 28 px.
const PAD_X: f32 = 72.0;
const CONTENT_W: f32 = WIDTH as f32 - 2.0 * PAD_X;
const ORG_SIZE: f32 = 34.0;
const ORG_BASELINE: f32 = 96.0;
const TITLE_TOP: f32 = 136.0;
const PANEL_TOP: u32 = 448;
const TITLE_BOTTOM: f32 = PANEL_TOP as f32 - 36.0;
/// Largest first: a short title should fill the space, a long one still fit.
const TITLE_SIZES: [f32; 7] = [88.0, 80.0, 72.0, 64.0, 58.0, 52.0, 48.0];
const TITLE_MAX_LINES: usize = 4;
const TITLE_LINE_HEIGHT: f32 = 1.16;
/// Nobody reads past four lines; bounding the input bounds the layout work.
const TITLE_MAX_CHARS: usize = 400;
/// Same for the one-line texts (the settings form caps names at 120).
const LINE_MAX_CHARS: usize = 200;
const COUNT_SIZES: [f32; 4] = [60.0, 52.0, 44.0, 38.0];
const GOAL_SIZES: [f32; 2] = [32.0, 28.0];
const BAR_HEIGHT: f32 = 20.0;
const BAR_BOTTOM: f32 = HEIGHT as f32 - 52.0;
const MIN_TEXT_CONTRAST: f64 = 4.5;
/// WCAG's threshold for large text and for shapes such as the bar.
const MIN_LARGE_CONTRAST: f64 = 3.0;
/// Reserved above the baseline for accented capitals (É), below for descenders, as
/// fractions of the font size (DejaVu's metrics).
const ASCENT: f32 = 0.93;
const DESCENT: f32 = 0.24;
/// Height of digits and capitals without accents, to centre the count optically.
const CAP_HEIGHT: f32 = 0.73;

/// Renders the 1200×630 PNG.
///
/// # Errors
///
/// Only if PNG encoding fails (or, never in practice, if the embedded fonts cannot
/// be read: a unit test checks they can).
pub fn render(card: &ShareCard<'_>) -> Result<Vec<u8>, ImageError> {
    let bold = FontRef::try_from_slice(BOLD).map_err(|_| font_error())?;
    let regular = FontRef::try_from_slice(REGULAR).map_err(|_| font_error())?;

    let primary = Rgb::parse(card.primary).unwrap_or(Rgb::DEFAULT_PRIMARY);
    let accent = Rgb::parse(card.accent).unwrap_or(Rgb::DEFAULT_ACCENT);
    let text = text_colour_on(primary);
    let panel = Rgb::WHITE;

    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, image::Rgb(primary.0));
    for y in PANEL_TOP..HEIGHT {
        for x in 0..WIDTH {
            img.put_pixel(x, y, image::Rgb(panel.0));
        }
    }
    // A pale primary would melt into the band without a line between them.
    if primary.contrast(panel) < 1.3 {
        for y in PANEL_TOP..PANEL_TOP + 2 {
            for x in 0..WIDTH {
                img.put_pixel(x, y, image::Rgb(panel.mix(Rgb::INK, 0.2).0));
            }
        }
    }

    let org = clean(card.org_name, &regular, LINE_MAX_CHARS);
    if !org.is_empty() {
        let style = Style::new(&regular, ORG_SIZE);
        let line = ellipsize(&style, &org, CONTENT_W);
        style.draw(&mut img, &line, PAD_X, ORG_BASELINE, soften(text, primary));
    }

    let title = clean(card.title, &bold, TITLE_MAX_CHARS);
    if !title.is_empty() {
        let (style, lines) = fit_title(&bold, &title);
        let line_height = style.size * TITLE_LINE_HEIGHT;
        let block = (lines.len() as f32 - 1.0) * line_height + style.size * (ASCENT + DESCENT);
        // Centred in its box: a short title would otherwise leave a hole above the band.
        let top = TITLE_TOP + ((TITLE_BOTTOM - TITLE_TOP - block) / 2.0).max(0.0);
        for (i, line) in lines.iter().enumerate() {
            let baseline = top + style.size * ASCENT + i as f32 * line_height;
            style.draw(&mut img, line, PAD_X, baseline, text);
        }
    }

    draw_panel(&mut img, card, &bold, &regular, primary, accent, panel);

    let mut out = Vec::new();
    // Measured on these images: Best is both slower (2-3×) and slightly larger than
    // Default; Fast is ten times quicker but a third larger.
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive).write_image(
        img.as_raw(),
        WIDTH,
        HEIGHT,
        ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn font_error() -> ImageError {
    ImageError::Parameter(ParameterError::from_kind(ParameterErrorKind::Generic(
        "embedded share-image font unreadable".to_owned(),
    )))
}

/// Count, goal and progress bar on the white band.
fn draw_panel(
    img: &mut RgbImage,
    card: &ShareCard<'_>,
    bold: &FontRef<'_>,
    regular: &FontRef<'_>,
    primary: Rgb,
    accent: Rgb,
    panel: Rgb,
) {
    let ink = text_colour_on(panel);
    let count_colour = if accent.contrast(panel) >= MIN_LARGE_CONTRAST {
        accent
    } else {
        ink
    };
    let progress = card.progress.map(|p| if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) });
    let panel_top = PANEL_TOP as f32;
    let count_size = COUNT_SIZES[0];
    let baseline = if progress.is_some() {
        panel_top + 40.0 + count_size * CAP_HEIGHT
    } else {
        panel_top + (HEIGHT as f32 - panel_top + count_size * CAP_HEIGHT) / 2.0
    };

    let count = clean(card.count_label, bold, LINE_MAX_CHARS);
    let goal = card
        .goal_label
        .map(|g| clean(g, regular, LINE_MAX_CHARS))
        .unwrap_or_default();
    // The goal is secondary: it gets what the count leaves, at a smaller size.
    let gap = 40.0;
    let goal_min = if goal.is_empty() {
        0.0
    } else {
        Style::new(regular, GOAL_SIZES[GOAL_SIZES.len() - 1])
            .width(&goal)
            .min(CONTENT_W * 0.45)
            + gap
    };
    let mut count_width = 0.0;
    if !count.is_empty() {
        let style = largest_fitting(bold, &COUNT_SIZES, &count, CONTENT_W - goal_min);
        let line = ellipsize(&style, &count, CONTENT_W - goal_min);
        count_width = style.width(&line);
        style.draw(img, &line, PAD_X, baseline, count_colour);
    }
    if !goal.is_empty() {
        let room = CONTENT_W - count_width - if count_width > 0.0 { gap } else { 0.0 };
        let style = largest_fitting(regular, &GOAL_SIZES, &goal, room);
        let line = ellipsize(&style, &goal, room);
        let x = PAD_X + CONTENT_W - style.width(&line);
        // Grey rather than ink so the count stays the first thing read.
        style.draw(img, &line, x, baseline, soften(ink, panel));
    }

    if let Some(p) = progress {
        let top = BAR_BOTTOM - BAR_HEIGHT;
        let track = panel.mix(Rgb::INK, 0.12);
        fill_rounded(img, PAD_X, top, PAD_X + CONTENT_W, BAR_BOTTOM, track);
        let fill = [accent, primary, ink]
            .into_iter()
            .find(|c| c.contrast(track) >= MIN_LARGE_CONTRAST)
            .unwrap_or(ink);
        if p > 0.0 {
            // Never thinner than a dot, so a first signature shows.
            let w = (CONTENT_W * p).max(BAR_HEIGHT);
            fill_rounded(img, PAD_X, top, PAD_X + w, BAR_BOTTOM, fill);
        }
    }
}

/// Largest title size whose wrapping fits the box without cutting; else the smallest
/// size, cut with an ellipsis.
fn fit_title<'f>(font: &'f FontRef<'f>, title: &str) -> (Style<'f>, Vec<String>) {
    let box_height = TITLE_BOTTOM - TITLE_TOP;
    let mut last = None;
    for size in TITLE_SIZES {
        let style = Style::new(font, size);
        let line_height = size * TITLE_LINE_HEIGHT;
        let room = ((box_height - size * (ASCENT + DESCENT)) / line_height).floor() as usize + 1;
        let (lines, cut) = wrap(&style, title, CONTENT_W, room.clamp(1, TITLE_MAX_LINES));
        if !cut {
            return (style, lines);
        }
        last = Some((style, lines));
    }
    last.unwrap_or_else(|| (Style::new(font, TITLE_SIZES[0]), Vec::new()))
}

fn largest_fitting<'f>(font: &'f FontRef<'f>, sizes: &[f32], text: &str, max_width: f32) -> Style<'f> {
    let mut style = Style::new(font, sizes.first().copied().unwrap_or(32.0));
    for &size in sizes {
        style = Style::new(font, size);
        if style.width(text) <= max_width {
            break;
        }
    }
    style
}

/// One font at one size.
struct Style<'f> {
    font: &'f FontRef<'f>,
    scale: PxScale,
    size: f32,
}

impl<'f> Style<'f> {
    /// `size` is the em size, as in CSS; ab_glyph scales by ascent-to-descent height.
    fn new(font: &'f FontRef<'f>, size: f32) -> Self {
        let scale = match font.units_per_em() {
            Some(upem) if upem > 0.0 => PxScale::from(size * font.height_unscaled() / upem),
            _ => PxScale::from(size),
        };
        Self { font, scale, size }
    }

    /// Glyphs with their pen positions, and the advance of the whole line.
    fn layout(&self, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
        let scaled = self.font.as_scaled(self.scale);
        let mut x = 0.0;
        let mut prev: Option<GlyphId> = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = self.font.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            glyphs.push((id, x));
            x += scaled.h_advance(id);
            prev = Some(id);
        }
        (glyphs, x)
    }

    fn width(&self, text: &str) -> f32 {
        self.layout(text).1
    }

    fn draw(&self, img: &mut RgbImage, text: &str, x: f32, baseline: f32, colour: Rgb) {
        for (id, dx) in self.layout(text).0 {
            let glyph = id.with_scale_and_position(self.scale, point(x + dx, baseline));
            let Some(outlined) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
            outlined.draw(|gx, gy, coverage| {
                blend(img, left + gx as i32, top + gy as i32, colour, coverage);
            });
        }
    }
}

/// Keeps what the font can draw: controls and characters it lacks (emoji, CJK) are
/// dropped rather than shown as boxes, whitespace runs become one space.
fn clean(text: &str, font: &FontRef<'_>, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    for c in text.chars().take(max_chars) {
        let c = match c {
            // No-break spaces (French "12 345", "Kpalimé :") must keep not breaking.
            '\u{a0}' | '\u{2007}' | '\u{202f}' if font.glyph_id(c).0 != 0 => c,
            '\u{a0}' | '\u{2007}' | '\u{202f}' => '\u{a0}',
            c if c.is_whitespace() => ' ',
            c if c.is_control() || font.glyph_id(c).0 == 0 => continue,
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out
}

/// Words for wrapping. French puts a space before `: ; ! ? »` and after `«`; breaking
/// there would start a line with a lone colon, so those stay with their neighbour.
fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut glue_next = false;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let glue_prev = word.starts_with([':', ';', '!', '?', '»']);
        match words.last_mut() {
            Some(last) if glue_prev || glue_next => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        glue_next = word.ends_with('«');
    }
    words
}

/// Greedy word wrap into at most `max_lines`; words wider than a line are cut
/// between characters. The flag says whether text was left out (the last line then
/// ends with an ellipsis).
fn wrap(style: &Style<'_>, text: &str, max_width: f32, max_lines: usize) -> (Vec<String>, bool) {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    // Goes one line past the limit, which is how a cut is detected.
    for word in words(text) {
        let candidate = if line.is_empty() {
            word.clone()
        } else {
            format!("{line} {word}")
        };
        if style.width(&candidate) <= max_width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A URL or a long compound wider than the image.
        let mut rest = word.as_str();
        while style.width(rest) > max_width && lines.len() <= max_lines {
            let cut = longest_prefix(style, rest, max_width);
            lines.push(rest[..cut].to_owned());
            rest = &rest[cut..];
        }
        line = rest.to_owned();
        if lines.len() > max_lines {
            break;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let cut = lines.len() > max_lines;
    lines.truncate(max_lines);
    if cut && let Some(last) = lines.last_mut() {
        *last = with_ellipsis(style, last, max_width);
    }
    (lines, cut)
}

/// Byte length of the longest prefix of `text` that fits (at least one character,
/// so wrapping always advances).
fn longest_prefix(style: &Style<'_>, text: &str, max_width: f32) -> usize {
    let mut fit = text.chars().next().map_or(0, char::len_utf8);
    for (i, c) in text.char_indices().skip(1) {
        if style.width(&text[..i + c.len_utf8()]) > max_width {
            break;
        }
        fit = i + c.len_utf8();
    }
    fit
}

/// One line, cut with an ellipsis if too wide.
fn ellipsize(style: &Style<'_>, text: &str, max_width: f32) -> String {
    if style.width(text) <= max_width {
        text.to_owned()
    } else {
        with_ellipsis(style, text, max_width)
    }
}

/// `text` with an ellipsis that fits: whole words dropped first, characters only
/// when a single word remains.
fn with_ellipsis(style: &Style<'_>, text: &str, max_width: f32) -> String {
    let mut kept = text.trim_end().to_owned();
    loop {
        let trimmed = kept.trim_end_matches([' ', '\u{a0}', '\u{202f}', ',', ';', ':', '.', '-', '–', '—']);
        let candidate = format!("{trimmed}…");
        if style.width(&candidate) <= max_width || trimmed.is_empty() {
            return candidate;
        }
        match trimmed.rfind(' ') {
            Some(space) if space > 0 => kept.truncate(space),
            _ => {
                kept = trimmed.to_owned();
                kept.pop();
            }
        }
    }
}

fn blend(img: &mut RgbImage, x: i32, y: i32, colour: Rgb, coverage: f32) {
    let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
        return;
    };
    if x >= WIDTH || y >= HEIGHT {
        return;
    }
    let a = coverage.clamp(0.0, 1.0);
    if a <= 0.0 {
        return;
    }
    let px = img.get_pixel_mut(x, y);
    for (dst, src) in px.0.iter_mut().zip(colour.0) {
        *dst = (f32::from(*dst) + (f32::from(src) - f32::from(*dst)) * a).round() as u8;
    }
}

/// A pill (fully rounded rectangle), anti-aliased by distance to its edge.
fn fill_rounded(img: &mut RgbImage, x0: f32, y0: f32, x1: f32, y1: f32, colour: Rgb) {
    let r = ((y1 - y0) / 2.0).min((x1 - x0) / 2.0).max(0.0);
    for y in (y0.floor() as i32)..(y1.ceil() as i32) {
        for x in (x0.floor() as i32)..(x1.ceil() as i32) {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let dx = (x0 + r - px).max(px - (x1 - r)).max(0.0);
            let dy = (y0 + r - py).max(py - (y1 - r)).max(0.0);
            let outside = (dx * dx + dy * dy).sqrt() - r;
            blend(img, x, y, colour, 0.5 - outside);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rgb([u8; 3]);

impl Rgb {
    const WHITE: Self = Self([0xff, 0xff, 0xff]);
    const BLACK: Self = Self([0, 0, 0]);
    /// Softer than black, used when it still reaches 4.5:1.
    const INK: Self = Self([0x14, 0x14, 0x14]);
    /// A new association's colours (the migrations' column defaults).
    const DEFAULT_PRIMARY: Self = Self([0x1d, 0x4e, 0xd8]);
    const DEFAULT_ACCENT: Self = Self([0x9a, 0x34, 0x12]);

    fn parse(input: &str) -> Option<Self> {
        let hex = input.trim().strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Self([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// WCAG 2 relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let s = f64::from(c) / 255.0;
            if s <= 0.039_28 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0[0]) + 0.7152 * channel(self.0[1]) + 0.0722 * channel(self.0[2])
    }

    /// WCAG 2 contrast ratio, 1 to 21.
    fn contrast(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// `t` of the way from `self` to `other`.
    fn mix(self, other: Self, t: f32) -> Self {
        let mut out = self.0;
        for (o, c) in out.iter_mut().zip(other.0) {
            *o = (f32::from(*o) + (f32::from(c) - f32::from(*o)) * t).round() as u8;
        }
        Self(out)
    }
}

/// White or dark text, whichever contrasts more with `bg`; either way at least 4.5:1,
/// since for any colour white or black reaches about 4.58:1.
fn text_colour_on(bg: Rgb) -> Rgb {
    let dark = if Rgb::INK.contrast(bg) >= MIN_TEXT_CONTRAST {
        Rgb::INK
    } else {
        Rgb::BLACK
    };
    if Rgb::WHITE.contrast(bg) >= dark.contrast(bg) {
        Rgb::WHITE
    } else {
        dark
    }
}

/// `fg` toned down towards `bg` for secondary text, as long as it stays readable.
fn soften(fg: Rgb, bg: Rgb) -> Rgb {
    let soft = fg.mix(bg, 0.22);
    if soft.contrast(bg) >= MIN_TEXT_CONTRAST {
        soft
    } else {
        fg
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn card<'a>(title: &'a str, primary: &'a str) -> ShareCard<'a> {
        ShareCard {
            title,
            org_name: "Les Amis du Puits",
            count_label: "12\u{202f}345 signatures",
            goal_label: Some("Objectif\u{a0}: 50\u{202f}000"),
            progress: Some(0.25),
            primary,
            accent: "#9a3412",
        }
    }

    fn decode(png: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8()
    }

    #[test]
    fn embedded_fonts_parse_and_cover_french() {
        for bytes in [BOLD, REGULAR] {
            let font = FontRef::try_from_slice(bytes).unwrap();
            for c in "éèêëàâäîïôöùûüçœæÉÈÊÀÇŒ«»’…\u{a0}\u{202f}€".chars() {
                assert_ne!(font.glyph_id(c).0, 0, "missing {c:?}");
            }
        }
    }

    #[test]
    fn output_is_a_1200_by_630_rgb_png() {
        let png = render(&card(
            "Sauvons le puits de Kpalimé : l’eau potable pour 450 familles",
            "#1d4ed8",
        ))
        .unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert_eq!(img.color(), image::ColorType::Rgb8);
        assert!(png.len() < 150 * 1024, "{} bytes", png.len());
    }

    #[test]
    fn title_is_drawn_in_the_contrasting_colour() {
        let img = decode(&render(&card("Sauvons le puits", "#1d4ed8")).unwrap());
        let title_area = (TITLE_TOP as u32..PANEL_TOP).flat_map(|y| (0..WIDTH).map(move |x| (x, y)));
        let white = title_area
            .filter(|&(x, y)| img.get_pixel(x, y).0 == [255, 255, 255])
            .count();
        assert!(white > 1000, "{white} white pixels");
    }

    #[test]
    fn very_long_title_wraps_to_four_lines_with_an_ellipsis() {
        let long = "Pour que chaque famille du quartier ait accès à une eau potable, ".repeat(40)
            + &"Trèslongmotsansespace".repeat(50);
        render(&card(&long, "#1d4ed8")).unwrap();
        let bold = FontRef::try_from_slice(BOLD).unwrap();
        let (style, lines) = fit_title(&bold, &clean(&long, &bold, TITLE_MAX_CHARS));
        assert_eq!(lines.len(), TITLE_MAX_LINES);
        assert!(lines.last().unwrap().ends_with('…'));
        for line in &lines {
            assert!(style.width(line) <= CONTENT_W, "{line}");
        }
        // A single unbreakable word is cut between characters rather than overflowing.
        render(&card(&"x".repeat(10_000), "#1d4ed8")).unwrap();
    }

    #[test]
    fn short_title_stays_whole_and_large() {
        let bold = FontRef::try_from_slice(BOLD).unwrap();
        let (style, lines) = fit_title(&bold, "Sauvons le puits de Kpalimé : l’eau potable pour 450 familles");
        assert!(style.size >= 64.0);
        assert!(lines.iter().all(|l| !l.ends_with('…')));
        assert!(lines.iter().all(|l| !l.starts_with(':')), "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "Sauvons le puits de Kpalimé : l’eau potable pour 450 familles"
        );
    }

    #[test]
    fn text_colour_contrasts_with_light_and_dark_primaries() {
        assert_eq!(text_colour_on(Rgb::parse("#f5e663").unwrap()), Rgb::INK);
        assert_eq!(text_colour_on(Rgb::parse("#1d4ed8").unwrap()), Rgb::WHITE);
        assert_eq!(text_colour_on(Rgb::WHITE), Rgb::INK);
        for v in 0..=255u8 {
            for bg in [
                Rgb([v, v, v]),
                Rgb([v, 0, 0]),
                Rgb([0, v, 0]),
                Rgb([0, 0, v]),
                Rgb([v, v, 0]),
            ] {
                assert!(text_colour_on(bg).contrast(bg) >= MIN_TEXT_CONTRAST, "{bg:?}");
            }
        }
        // And the image really uses it.
        let img = decode(&render(&card("Sauvons le puits", "#f5e663")).unwrap());
        assert_eq!(img.get_pixel(5, 5).0, [0xf5, 0xe6, 0x63]);
        let dark = (TITLE_TOP as u32..PANEL_TOP)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0 == Rgb::INK.0)
            .count();
        assert!(dark > 1000, "{dark} dark pixels");
    }

    #[test]
    fn empty_and_odd_inputs_render() {
        let empty = ShareCard {
            title: "",
            org_name: "",
            count_label: "",
            goal_label: None,
            progress: None,
            primary: "not a colour",
            accent: "",
        };
        let img = decode(&render(&empty).unwrap());
        assert_eq!(img.get_pixel(5, 5).0, Rgb::DEFAULT_PRIMARY.0);
        for progress in [f32::NAN, -1.0, 0.0, 1.0, 7.0] {
            let mut c = card("  \n\t ", "#000000");
            c.progress = Some(progress);
            c.title = "🌳 Sauvons\u{0}\tle parc 🌳";
            render(&c).unwrap();
        }
    }

    #[test]
    fn clean_drops_what_cannot_be_drawn() {
        let bold = FontRef::try_from_slice(BOLD).unwrap();
        assert_eq!(clean("🌳  Sauvons\n le\u{7}  parc 🌳 ", &bold, 100), "Sauvons le parc");
        assert_eq!(clean("abcdef", &bold, 3), "abc");
    }

    #[test]
    fn french_spacing_never_starts_a_line() {
        assert_eq!(
            words("Kpalimé : l’eau « potable » ?"),
            ["Kpalimé :", "l’eau", "« potable » ?"]
        );
    }
}
