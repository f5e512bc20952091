//! Vertical bars in groups: one group per x label (a cohort year), one bar per
//! series in each (told, not told), so series compare within a group.

use std::fmt::Write as _;

use super::{AXIS_END, AXIS_MID, Canvas, Fnv, GRID, INK, LABEL, MUTED, PAD, PALETTE, escape, frame_sized, no_data};

/// Narrower than the other charts: a handful of cohorts, read on a phone too.
const WIDTH: f64 = 480.0;

/// One group of bars: `values[i]` belongs to series `i` of the chart. `None` draws no
/// bar (nothing to measure, e.g. nobody in that part of the cohort), which is not 0.
pub struct BarGroup {
    /// Under the group (e.g. "2024").
    pub label: String,
    /// One per series; negative or non-finite values are drawn as 0.
    pub values: Vec<Option<f64>>,
    /// Printed above each bar and in the accessible description, formatted by the
    /// caller for the reader's locale ("62 %"); `–`-like text for a `None`.
    pub value_labels: Vec<String>,
}

/// A grouped vertical bar chart on a fixed scale `0..=y_max` (rates: 0–100 %).
/// Series after the first are hatched as well as coloured, so they are told apart
/// without colour. Ids derive from a hash of the title and data, like the others.
pub struct GroupedBarChart<'a> {
    /// Accessible name and visible heading.
    pub title: &'a str,
    /// Unit of the y axis, printed above it and first in the description.
    pub y_label: &'a str,
    /// Series names, in bar order, for the legend.
    pub series: &'a [String],
    /// Groups, left to right.
    pub groups: &'a [BarGroup],
    /// Top of the scale.
    pub y_max: f64,
    /// Grid lines: value and its label, formatted by the caller.
    pub y_ticks: &'a [(f64, String)],
}

impl GroupedBarChart<'_> {
    /// Renders an inline `<svg>`; without groups or series, a "No data" placeholder.
    pub fn to_svg(&self) -> String {
        let n = self.series.len();
        if self.groups.is_empty() || n == 0 || !(self.y_max.is_finite() && self.y_max > 0.0) {
            return no_data(self.title);
        }
        let mut hash = Fnv::new(self.title);
        let mut c = Canvas::default();
        let id = {
            for g in self.groups {
                hash.add(&g.label);
                g.value_labels.iter().for_each(|l| hash.add(l));
            }
            self.series.iter().for_each(|s| hash.add(s));
            hash.id()
        };
        let _ = write!(
            c.0,
            r##"<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2.5"/></pattern></defs>"##,
            PALETTE[1]
        );
        let fill = |i: usize| {
            if i == 0 {
                PALETTE[0].to_owned()
            } else {
                format!("url(#{id}-hatch)")
            }
        };
        // Legend: one entry per series, wrapped onto several rows when needed.
        let (mut lx, mut ly) = (PAD, 38.0);
        for (i, name) in self.series.iter().enumerate() {
            let w = 24.0 + super::text_width(name, 12.0) + 24.0;
            if lx + w > WIDTH - PAD && lx > PAD {
                (lx, ly) = (PAD, ly + 22.0);
            }
            let _ = write!(
                c.0,
                r#"<rect x="{lx:.1}" y="{ly:.1}" width="18" height="14" fill="{}"/>"#,
                fill(i)
            );
            c.text((lx + 24.0, ly + 12.0), LABEL, &escape(name));
            lx += w;
        }
        let ticks: Vec<&String> = self.y_ticks.iter().map(|(_, l)| l).collect();
        let left = PAD + super::widest(ticks.iter().copied(), 11.0) + 8.0;
        let (right, plot_top) = (WIDTH - PAD, ly + 58.0);
        let bottom = plot_top + 220.0;
        let y_of = |v: f64| {
            let v = if v.is_finite() { v.clamp(0.0, self.y_max) } else { 0.0 };
            bottom - v / self.y_max * (bottom - plot_top)
        };
        c.text((PAD, plot_top - 20.0), (12, MUTED, "start"), &escape(self.y_label));
        for (value, label) in self.visible_ticks() {
            let y = y_of(*value);
            let stroke = if *value == 0.0 { MUTED } else { GRID };
            c.line((left, y), (right, y), stroke, r#"stroke-width="1""#);
            c.text((left - 6.0, y + 4.0), AXIS_END, &escape(label));
        }
        let slot = (right - left) / self.groups.len() as f64;
        let bar_w = (slot * 0.7 / n as f64).min(56.0);
        // `frame` escapes the whole description: caller text stays raw here.
        let mut desc = vec![self.y_label.to_owned()];
        for (gi, group) in self.groups.iter().enumerate() {
            let x0 = left + gi as f64 * slot + (slot - bar_w * n as f64) / 2.0;
            let mut parts = Vec::new();
            for i in 0..n {
                let label = group.value_labels.get(i).map_or("", String::as_str);
                parts.push(format!("{} {label}", self.series[i]));
                let x = x0 + i as f64 * bar_w;
                if let Some(v) = group.values.get(i).copied().flatten() {
                    let y = y_of(v);
                    let _ = write!(
                        c.0,
                        r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="{INK}" stroke-width="0.5"/>"#,
                        x + 2.0,
                        bar_w - 4.0,
                        bottom - y,
                        fill(i)
                    );
                    c.text((x + bar_w / 2.0, y - 5.0), AXIS_MID, &escape(label));
                } else {
                    c.text((x + bar_w / 2.0, bottom - 5.0), AXIS_MID, &escape(label));
                }
            }
            c.text(
                (left + (gi as f64 + 0.5) * slot, bottom + 18.0),
                (12, INK, "middle"),
                &escape(&group.label),
            );
            desc.push(format!("{}: {}", group.label, parts.join(", ")));
        }
        frame_sized(
            &id,
            WIDTH,
            bottom + 32.0,
            self.title,
            &format!("{}.", desc.join("; ")),
            &c.0,
        )
    }

    fn visible_ticks(&self) -> impl Iterator<Item = &(f64, String)> {
        self.y_ticks
            .iter()
            .filter(|(v, _)| v.is_finite() && *v >= 0.0 && *v <= self.y_max)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn group(label: &str, values: &[Option<f64>]) -> BarGroup {
        BarGroup {
            label: label.to_owned(),
            values: values.to_vec(),
            value_labels: values
                .iter()
                .map(|v| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.0} %")))
                .collect(),
        }
    }

    fn chart(title: &str, groups: &[BarGroup]) -> String {
        let series = ["Told".to_owned(), "Not told".to_owned()];
        let ticks: Vec<(f64, String)> = (0..=4)
            .map(|i| (f64::from(i) * 25.0, format!("{} %", i * 25)))
            .collect();
        GroupedBarChart {
            title,
            y_label: "Gave again",
            series: &series,
            groups,
            y_max: 100.0,
            y_ticks: &ticks,
        }
        .to_svg()
    }

    #[test]
    fn one_bar_per_series_in_each_group_and_none_draws_nothing() {
        let svg = chart(
            "Repeat giving",
            &[
                group("2023", &[Some(70.0), Some(63.0)]),
                group("2024", &[Some(50.0), None]),
            ],
        );
        super::super::tests::assert_well_formed(&svg);
        // 2 legend swatches + 3 bars (+ the pattern's own rect).
        assert_eq!(svg.matches("<rect").count(), 2 + 3 + 1);
        assert!(svg.contains("url(#relais-chart-"), "the second series is hatched");
        assert!(svg.contains(">70 %</text>") && svg.contains(">–</text>"));
        assert!(svg.contains("Gave again; 2023: Told 70 %, Not told 63 %; 2024: Told 50 %, Not told –."));
        for l in ["2023", "2024", "Told", "Not told", "0 %", "100 %"] {
            assert!(svg.contains(&format!(">{l}</text>")), "{l}");
        }
    }

    #[test]
    fn bars_are_scaled_to_the_axis_and_clamped() {
        let svg = chart(
            "t",
            &[
                group("a", &[Some(100.0), Some(0.0)]),
                group("b", &[Some(250.0), Some(-3.0)]),
            ],
        );
        super::super::tests::assert_well_formed(&svg);
        let heights: Vec<f64> = svg
            .split(r#"height=""#)
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .filter(|h: &f64| *h != 14.0 && *h != 6.0)
            .collect();
        assert_eq!(
            heights,
            [220.0, 0.0, 220.0, 0.0],
            "100 % is the full axis, beyond is clamped"
        );
    }

    #[test]
    fn empty_data_and_caller_text_are_safe() {
        assert!(chart("t", &[]).contains(">No data</text>"));
        let evil = "<b>&\"'";
        let svg = chart(evil, &[group(evil, &[Some(1.0), Some(2.0)])]);
        super::super::tests::assert_well_formed(&svg);
        assert!(!svg.contains(evil) && svg.contains("&lt;b&gt;&amp;&quot;&#39;"));
    }
}
