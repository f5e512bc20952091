//! Back-office charts rendered server-side as inline SVG. Hand-written rather than a
//! charting crate: the output is small, must obey the page's Content-Security-Policy
//! (no inline `style=`, no script) and must stay accessible (`<title>`, `<desc>`,
//! dash patterns so lines are told apart without colour), all easier to guarantee here.

use std::fmt::Write as _;

mod grouped;

pub use grouped::{BarGroup, GroupedBarChart};

/// Fixed drawing width: the SVG scales to its container via `width="100%"`, so only
/// the aspect ratio (the computed height) matters.
const WIDTH: f64 = 640.0;
const PAD: f64 = 12.0;
/// Eight colours, each at least 3:1 against white (WCAG 1.4.11 non-text contrast).
const PALETTE: [&str; 8] = [
    "#1d4ed8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d",
];
/// One dash pattern per palette slot, so series stay distinguishable in greyscale or
/// for colour-blind staff.
const DASHES: [&str; 8] = ["", "10 4", "2 4", "10 4 2 4", "18 5", "5 5", "10 3 2 3 2 3", "2 8"];
const BAR_FILL: &str = PALETTE[0];
const INK: &str = "#111827";
const MUTED: &str = "#4b5563";
const GRID: &str = "#e5e7eb";
const MAX_LABEL_CHARS: usize = 28;
const MAX_X_LABELS: usize = 8;
/// Text look: font size, fill, `text-anchor`.
type Font = (u8, &'static str, &'static str);
const LABEL: Font = (12, INK, "start");
const LABEL_END: Font = (12, INK, "end");
const AXIS_END: Font = (11, MUTED, "end");
const AXIS_MID: Font = (11, MUTED, "middle");

/// One named series of a line chart: `values[i]` is plotted at `x_labels[i]` of the
/// chart, so every series shares the same time buckets. Values beyond the labels are
/// ignored and negative values are drawn as 0 (counts cannot be negative).
pub struct Series {
    /// Shown in the legend and in the accessible description.
    pub name: String,
    /// One value per x label.
    pub values: Vec<i64>,
}

/// A multi-line chart over time buckets (e.g. signatures by source per day). Series are
/// overlaid, not stacked, so each source can be read against the y axis; a caller that
/// wants cumulative curves passes cumulative values.
///
/// Element ids (for `aria-labelledby`) are derived from a hash of the title and the
/// data, so several charts can share one page without clashing.
pub struct LineChart<'a> {
    /// Accessible name and visible heading of the chart.
    pub title: &'a str,
    /// Time buckets, already formatted for the reader's locale; at most ~8 are shown.
    pub x_labels: &'a [String],
    /// Lines to draw; colours and dash patterns repeat after eight series.
    pub series: &'a [Series],
    /// Unit of the y axis (e.g. "Signatures"), printed above the axis.
    pub y_label: &'a str,
}

impl LineChart<'_> {
    /// Renders an inline `<svg>` to embed in an HTML page (no XML prolog). Without
    /// labels or series it renders a "No data" placeholder rather than an empty box.
    pub fn to_svg(&self) -> String {
        let n = self.x_labels.len();
        if n == 0 || self.series.is_empty() {
            return no_data(self.title);
        }
        let values: Vec<Vec<u64>> = self.series.iter().map(|s| clamp(&s.values, n)).collect();
        let ticks = nice_ticks(values.iter().flatten().copied().max().unwrap_or(0));
        let top = ticks.last().copied().unwrap_or(1).max(1) as f64;
        let mut hash = Fnv::new(self.title);
        let mut desc = format!("{}, {} – {}.", self.y_label, self.x_labels[0], self.x_labels[n - 1]);
        self.x_labels.iter().for_each(|l| hash.add(l));

        // Legend: one entry per series, wrapped onto several rows when needed.
        let mut c = Canvas::default();
        let (mut lx, mut ly) = (PAD, 48.0);
        for (i, (s, v)) in self.series.iter().zip(&values).enumerate() {
            hash.add(&s.name);
            v.iter().for_each(|x| hash.add(&x.to_string()));
            let total = group_digits(v.iter().map(|x| u128::from(*x)).sum());
            let _ = write!(desc, "{} {}: {total}", if i == 0 { "" } else { ";" }, s.name);
            let name = truncate(&s.name, MAX_LABEL_CHARS);
            let w = 30.0 + text_width(&name, 12.0) + 18.0;
            if lx + w > WIDTH - PAD && lx > PAD {
                (lx, ly) = (PAD, ly + 20.0);
            }
            let attrs = format!(r#"stroke-width="3"{}"#, dash_attr(i));
            c.line((lx, ly), (lx + 24.0, ly), PALETTE[i % 8], &attrs);
            c.text((lx + 30.0, ly + 4.0), LABEL, &escape(&name));
            lx += w;
        }

        let tick_labels: Vec<String> = ticks.iter().map(|t| group_digits(u128::from(*t))).collect();
        // At most ~8 x labels, centred on their point: the outer ones must not be cut.
        let stride = n.div_ceil(MAX_X_LABELS);
        let shown: Vec<(usize, String)> = (0..n)
            .step_by(stride)
            .map(|i| (i, truncate(&self.x_labels[i], 12)))
            .collect();
        let half = (widest(shown.iter().map(|(_, l)| l), 11.0) / 2.0 + 4.0).max(16.0);
        let (left, right) = ((PAD + widest(&tick_labels, 11.0) + 8.0).max(half), WIDTH - half);
        let (plot_top, bottom) = (ly + 44.0, ly + 264.0);
        let y_of = |v: u64| bottom - v as f64 / top * (bottom - plot_top);
        let x0 = if n == 1 { (left + right) / 2.0 } else { left };
        let x_of = |i: usize| x0 + i as f64 * (right - left) / n.saturating_sub(1).max(1) as f64;
        c.text((PAD, plot_top - 12.0), (12, MUTED, "start"), &escape(self.y_label));
        for (t, label) in ticks.iter().zip(&tick_labels) {
            let (y, stroke) = (y_of(*t), if *t == 0 { MUTED } else { GRID });
            c.line((left, y), (right, y), stroke, r#"stroke-width="1""#);
            c.text((left - 6.0, y + 4.0), AXIS_END, label);
        }
        for (i, label) in &shown {
            c.text((x_of(*i), bottom + 18.0), AXIS_MID, &escape(label));
        }
        for (i, v) in values.iter().enumerate() {
            let colour = PALETTE[i % 8];
            let points: Vec<String> = v
                .iter()
                .enumerate()
                .map(|(j, y)| format!("{:.1},{:.1}", x_of(j), y_of(*y)))
                .collect();
            let (points, dash) = (points.join(" "), dash_attr(i));
            let _ = write!(
                c.0,
                r#"<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"{dash}/>"#
            );
            // A one-point polyline is invisible: mark the point itself.
            for cy in v.iter().filter(|_| n == 1).map(|y| y_of(*y)) {
                let _ = write!(c.0, r#"<circle cx="{x0:.1}" cy="{cy:.1}" r="4" fill="{colour}"/>"#);
            }
        }
        frame(&hash.id(), bottom + 32.0, self.title, &format!("{desc}."), &c.0)
    }
}

/// One row of a horizontal bar chart (top recruiters, viral coefficient per channel).
/// `value` is an `f64` so ratios work; `value_label` is the text printed at the end of
/// the bar, already formatted by the caller (e.g. "1,23" in French) because number
/// formatting is locale-dependent and this crate does not know the reader's locale.
pub struct Bar {
    /// Row label; longer than 28 characters it is cut with an ellipsis (the
    /// accessible description keeps it whole).
    pub label: String,
    /// Bar length, proportional to the largest value; negative or non-finite values
    /// are drawn as 0.
    pub value: f64,
    /// Printed after the bar and in the accessible description.
    pub value_label: String,
}

/// A horizontal bar chart, one row per bar in the given order (sort before calling).
/// Ids are derived from a hash of the title and the data, like [`LineChart`].
pub struct BarChart<'a> {
    /// Accessible name and visible heading of the chart.
    pub title: &'a str,
    /// Rows, top to bottom.
    pub bars: &'a [Bar],
}

impl BarChart<'_> {
    /// Renders an inline `<svg>` to embed in an HTML page (no XML prolog); without bars
    /// it renders a "No data" placeholder.
    pub fn to_svg(&self) -> String {
        if self.bars.is_empty() {
            return no_data(self.title);
        }
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
        let max = self.bars.iter().map(|b| clean(b.value)).fold(0.0, f64::max);
        let labels: Vec<String> = self.bars.iter().map(|b| truncate(&b.label, MAX_LABEL_CHARS)).collect();
        let values: Vec<String> = self.bars.iter().map(|b| truncate(&b.value_label, 16)).collect();
        let bar_x = PAD + widest(&labels, 12.0) + 8.0;
        let room = (WIDTH - PAD - widest(&values, 12.0) - 8.0 - bar_x).max(0.0);
        let scale = if max > 0.0 { room / max } else { 0.0 };

        let (mut hash, mut c) = (Fnv::new(self.title), Canvas::default());
        let mut desc = Vec::new();
        for (i, (bar, (label, value))) in self.bars.iter().zip(labels.iter().zip(&values)).enumerate() {
            hash.add(&bar.label);
            hash.add(&bar.value_label);
            desc.push(format!("{}: {}", bar.label, bar.value_label));
            let (w, y) = (clean(bar.value) * scale, 44.0 + i as f64 * 28.0);
            c.text((bar_x - 8.0, y + 13.0), LABEL_END, &escape(label));
            let _ = write!(
                c.0,
                r#"<rect x="{bar_x:.1}" y="{y:.1}" width="{w:.1}" height="18" fill="{BAR_FILL}"/>"#
            );
            c.text((bar_x + w + 6.0, y + 13.0), LABEL, &escape(value));
        }
        let height = 52.0 + self.bars.len() as f64 * 28.0;
        frame(&hash.id(), height, self.title, &format!("{}.", desc.join("; ")), &c.0)
    }
}

/// Wraps a chart body with the accessible root element, title heading and `<desc>`.
fn frame(id: &str, height: f64, title: &str, desc: &str, body: &str) -> String {
    frame_sized(id, WIDTH, height, title, desc, body)
}

/// [`frame`] for a drawing narrower than [`WIDTH`]: its text comes out larger on a phone.
fn frame_sized(id: &str, width: f64, height: f64, title: &str, desc: &str, body: &str) -> String {
    let (title, desc) = (escape(title), escape(desc));
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc><text x="{PAD}" y="24" font-size="16" font-weight="600" fill="{INK}">{title}</text>{body}</svg>"#
    )
}

/// Accumulates SVG elements; callers escape text content themselves.
#[derive(Default)]
struct Canvas(String);

impl Canvas {
    fn text(&mut self, (x, y): (f64, f64), (size, fill, anchor): Font, content: &str) {
        let _ = write!(
            self.0,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">{content}</text>"#
        );
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, attrs: &str) {
        let _ = write!(
            self.0,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" {attrs}/>"#
        );
    }
}

/// Placeholder for a chart without data, so the page layout and the accessible name
/// stay the same whether or not anything has happened yet.
fn no_data(title: &str) -> String {
    let mut c = Canvas::default();
    c.text((WIDTH / 2.0, 76.0), (14, MUTED, "middle"), "No data");
    frame(&Fnv::new(title).id(), 120.0, title, "No data", &c.0)
}

/// Y ticks from 0 in steps of 1, 2 or 5 × 10ⁿ: 4 or 5 ticks whose last one reaches
/// `max`. Counts are integers, so the step is never below 1.
fn nice_ticks(max: u64) -> Vec<u64> {
    let max = max.max(1);
    let mut magnitude: u64 = 1;
    while let Some(next) = magnitude.checked_mul(10) {
        for step in [magnitude, 2 * magnitude, 5 * magnitude] {
            if max.div_ceil(step) <= 4 {
                return (0..=max.div_ceil(step).max(3))
                    .map(|i| i.saturating_mul(step))
                    .collect();
            }
        }
        magnitude = next;
    }
    vec![0, max / 3, max / 3 * 2, max]
}

/// Drops the values that have no x label and clamps negatives to 0.
fn clamp(values: &[i64], n: usize) -> Vec<u64> {
    values.iter().take(n).map(|v| u64::try_from(*v).unwrap_or(0)).collect()
}

/// Groups thousands with a narrow no-break space (SI style, also the French norm) so
/// axis numbers read the same whatever the staff member's locale.
fn group_digits(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn widest<'a>(labels: impl IntoIterator<Item = &'a String>, font_size: f64) -> f64 {
    labels.into_iter().map(|l| text_width(l, font_size)).fold(0.0, f64::max)
}

/// Rough width of a label: layout must be decided without a font engine.
fn text_width(s: &str, font_size: f64) -> f64 {
    s.chars().count() as f64 * font_size * 0.6
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    s.chars().take(max_chars - 1).chain(['…']).collect()
}

fn dash_attr(i: usize) -> String {
    match DASHES[i % 8] {
        "" => String::new(),
        d => format!(r#" stroke-dasharray="{d}""#),
    }
}

/// Caller text goes into element content and attributes: escape all five XML specials.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a: a stable, dependency-free hash for element ids (not security-relevant).
struct Fnv(u64);

impl Fnv {
    fn new(title: &str) -> Self {
        let mut h = Self(0xcbf2_9ce4_8422_2325);
        h.add(title);
        h
    }

    fn add(&mut self, s: &str) {
        for b in s.bytes().chain([0]) {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn id(&self) -> String {
        format!("relais-chart-{:016x}", self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::color::HexColor;

    fn series(name: &str, values: &[i64]) -> Series {
        Series {
            name: name.to_owned(),
            values: values.to_vec(),
        }
    }

    fn line_svg(title: &str, x_labels: &[String], series: &[Series]) -> String {
        LineChart {
            title,
            x_labels,
            series,
            y_label: title,
        }
        .to_svg()
    }

    fn bar(label: &str, value: f64, value_label: &str) -> Bar {
        Bar {
            label: label.to_owned(),
            value,
            value_label: value_label.to_owned(),
        }
    }

    fn bar_svg(title: &str, bars: &[Bar]) -> String {
        BarChart { title, bars }.to_svg()
    }

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("d{i:02}")).collect()
    }

    /// Minimal well-formedness check: tags balance, no inline style, no NaN coordinates.
    pub(super) fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        assert!(
            !svg.contains("style=") && !svg.contains("NaN") && !svg.contains("inf\""),
            "{svg}"
        );
        let mut stack = Vec::new();
        for tag in svg.split('<').skip(1).map(|t| t.split('>').next().unwrap()) {
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "{svg}");
            } else if !tag.ends_with('/') {
                stack.push(tag.split(' ').next().unwrap());
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        let id = svg
            .split("aria-labelledby=\"")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert!(svg.contains(&format!(r#"<title id="{id}""#)));
    }

    #[test]
    fn caller_text_is_escaped_everywhere() {
        let evil = r#"<script>&"'"#;
        let xl = vec![evil.to_owned(), "b".to_owned()];
        let line = line_svg(evil, &xl, &[series(evil, &[1, 2])]);
        for svg in [line, bar_svg(evil, &[bar(evil, 1.0, evil)]), bar_svg(evil, &[])] {
            assert!(!svg.contains("<script") && !svg.contains(evil), "{svg}");
            assert!(svg.contains("&lt;script&gt;&amp;&quot;&#39;"));
            assert_well_formed(&svg);
        }
    }

    #[test]
    fn ticks_are_nice_and_cover_the_maximum() {
        assert_eq!(nice_ticks(0), [0, 1, 2, 3]);
        assert_eq!(nice_ticks(4), [0, 1, 2, 3, 4]);
        assert_eq!(nice_ticks(5), [0, 2, 4, 6]);
        assert_eq!(nice_ticks(10), [0, 5, 10, 15]);
        assert_eq!(nice_ticks(17), [0, 5, 10, 15, 20]);
        assert_eq!(nice_ticks(1234), [0, 500, 1000, 1500]);
        for max in (0..20_000).chain([i64::MAX as u64]) {
            let t = nice_ticks(max);
            assert!(
                (4..=5).contains(&t.len()) && t[0] == 0 && *t.last().unwrap() >= max,
                "{max}: {t:?}"
            );
            let mut step = t[1];
            while step.is_multiple_of(10) {
                step /= 10;
            }
            assert!([1, 2, 5].contains(&step), "{max}: {t:?}");
        }
        assert_eq!(group_digits(1_234_567), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn empty_data_says_so() {
        let xl = labels(3);
        let a = [series("a", &[1])];
        for svg in [line_svg("t", &xl, &[]), line_svg("t", &[], &a), bar_svg("t", &[])] {
            assert!(svg.contains(">No data</text>"));
            assert_well_formed(&svg);
        }
        // All zeros (or negatives, clamped) still draw, without dividing by zero.
        let svg = line_svg("t", &xl, &[series("a", &[0, 0, 0]), series("b", &[-5, -1])]);
        assert_well_formed(&svg);
        assert!(
            svg.contains("a: 0; b: 0") && !svg.contains(",-") && !svg.contains("\"-"),
            "{svg}"
        );
        let svg = bar_svg(
            "t",
            &[bar("a", 0.0, "0"), bar("b", -2.0, "-2"), bar("c", f64::NAN, "?")],
        );
        assert_well_formed(&svg);
        assert_eq!(svg.matches(r#"width="0.0""#).count(), 3);
    }

    #[test]
    fn one_element_per_series_and_per_bar() {
        let xl = labels(30);
        let s: Vec<Series> = (0..10).map(|i| series(&format!("s{i}"), &[i, i * 3, 7])).collect();
        let svg = line_svg("Signatures", &xl, &s);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<polyline").count(), 10);
        assert!(svg.contains("s1: 11;"));
        let shown = xl.iter().filter(|l| svg.contains(&format!(">{l}</text>"))).count();
        assert!((2..=MAX_X_LABELS).contains(&shown), "{shown}");
        assert_eq!(line_svg("x", &xl[..1], &s[..2]).matches("<circle").count(), 2);

        let long = "a".repeat(40);
        let svg = bar_svg(
            "Top",
            &[bar(&long, 3.0, "3"), bar("b", 1.5, "1,5"), bar("c", 0.75, "0,75")],
        );
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(&format!(">{}…</text>", "a".repeat(27))));
        assert!(svg.contains(&long), "desc keeps the full label");
    }

    #[test]
    fn ids_differ_between_charts_and_palette_is_accessible() {
        let id = |s: String| s.split("id=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_ne!(
            id(bar_svg("A", &[bar("x", 1.0, "1")])),
            id(bar_svg("B", &[bar("x", 1.0, "1")]))
        );
        let white = HexColor::parse("#ffffff").unwrap();
        for (i, c) in PALETTE.iter().enumerate() {
            assert!(HexColor::parse(c).unwrap().contrast_with(white) >= 3.0, "{c}");
            assert!(!PALETTE[i + 1..].contains(c) && !DASHES[i + 1..].contains(&DASHES[i]));
        }
    }
}
