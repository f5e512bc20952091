//! Maps Relais draws itself: the world's land (Natural Earth 1:110m, pre-projected
//! by `tools/worldmap/build.mjs`, sources in `data/WORLD.md`) and numbered, labelled
//! points on it. No tile server, no script: an inline SVG whose land is one cached
//! file of the same site, so a page with a map asks nothing of any other site.
//!
//! The projection is equirectangular, the same as the build script's: change the
//! constants in both together.

use std::fmt::Write as _;

/// The land outline: one SVG path in map units (see [`WORLD_WIDTH`]).
pub const LAND_PATH: &str = include_str!("../data/world-land-110m.txt");
/// Map units per degree.
const SCALE: f64 = 2.0;
/// The northern and southern edges (Antarctica is left out).
const NORTH: f64 = 84.0;
const SOUTH: f64 = -58.0;
/// Width of the whole world in map units (360°).
pub const WORLD_WIDTH: f64 = 360.0 * SCALE;
/// Height of the whole map in map units.
pub const WORLD_HEIGHT: f64 = (NORTH - SOUTH) * SCALE;
/// The drawn map's width over its height, when zoomed in.
const ASPECT: f64 = 2.0;
const SEA: &str = "#dbeafe";
const LAND: &str = "#e5e7eb";
const COAST: &str = "#6b7280";
/// Pins: 5.9:1 against the land and the sea, white numbers 6.5:1 on them.
const PIN: &str = "#b91c1c";
const INK: &str = "#111827";

/// The land as a standalone SVG document, served as a cacheable file.
pub fn world_svg() -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WORLD_WIDTH} {WORLD_HEIGHT}"><path fill="{LAND}" stroke="{COAST}" stroke-width="0.4" stroke-linejoin="round" d="{}"/></svg>"#,
        LAND_PATH.trim()
    )
}

/// A WGS84 position in map units, `None` when it is not a place on Earth.
pub fn project(lat: f64, lon: f64) -> Option<(f64, f64)> {
    let valid = lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    valid.then(|| ((lon + 180.0) * SCALE, (NORTH - lat.clamp(SOUTH, NORTH)) * SCALE))
}

/// A labelled point: pins are numbered in the order given, like the list that a page
/// shows beside the map (the map's text equivalent).
pub struct Pin {
    /// Its name on the map (cut at 24 characters) and in the description.
    pub label: String,
    /// Where a click goes (the project's page).
    pub href: Option<String>,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Longitude, WGS84.
    pub lon: f64,
}

/// A map framed on its pins.
pub struct PinMap<'a> {
    /// Prefix of the element ids (`aria-labelledby`), unique on the page.
    pub id: &'a str,
    /// Accessible name.
    pub title: &'a str,
    /// Accessible description (e.g. "Numbered points; the list beside names them").
    pub desc: &'a str,
    /// Points; those not on Earth are left out.
    pub pins: &'a [Pin],
    /// Address of [`world_svg`] on this site.
    pub land_href: &'a str,
    /// The narrowest view in degrees of longitude, so a single point shows its region.
    pub min_span: f64,
    /// Whether pins carry their number (for a list beside the map); a lone locator
    /// point does not need one.
    pub numbered: bool,
}

/// A view: `(x, y, width, height)` in map units.
type View = (f64, f64, f64, f64);

impl PinMap<'_> {
    /// The view that holds every pin with a margin, at least `min_span` wide, inside
    /// the world; the whole world without pins.
    fn view(&self, points: &[(f64, f64)]) -> View {
        let world = (0.0, 0.0, WORLD_WIDTH, WORLD_HEIGHT);
        let Some(&(x0, y0)) = points.first() else { return world };
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (x0, x0, y0, y0);
        for &(x, y) in points {
            (min_x, max_x, min_y, max_y) = (min_x.min(x), max_x.max(x), min_y.min(y), max_y.max(y));
        }
        let mut w = ((max_x - min_x) * 1.4)
            .max(self.min_span * SCALE)
            .max((max_y - min_y) * 1.4 * ASPECT);
        if w >= WORLD_WIDTH * 0.8 {
            return world;
        }
        w = w.min(WORLD_WIDTH);
        let h = (w / ASPECT).min(WORLD_HEIGHT);
        let x = ((min_x + max_x - w) / 2.0).clamp(0.0, WORLD_WIDTH - w);
        let y = ((min_y + max_y - h) / 2.0).clamp(0.0, WORLD_HEIGHT - h);
        (x, y, w, h)
    }

    /// Renders the inline `<svg>`.
    pub fn to_svg(&self) -> String {
        let placed: Vec<(usize, &Pin, (f64, f64))> = self
            .pins
            .iter()
            .enumerate()
            .filter_map(|(i, p)| project(p.lat, p.lon).map(|xy| (i + 1, p, xy)))
            .collect();
        let points: Vec<(f64, f64)> = placed.iter().map(|(_, _, xy)| *xy).collect();
        let (vx, vy, vw, vh) = self.view(&points);
        // Sizes in map units that come out the same on screen whatever the zoom.
        let u = vw / 360.0;
        let id = self.id;
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="{vx:.1} {vy:.1} {vw:.1} {vh:.1}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc><rect x="{vx:.1}" y="{vy:.1}" width="{vw:.1}" height="{vh:.1}" fill="{SEA}"/><image href="{}" x="0" y="0" width="{WORLD_WIDTH}" height="{WORLD_HEIGHT}" preserveAspectRatio="none"/>"#,
            escape(self.title),
            escape(self.desc),
            escape(self.land_href),
        );
        let font = 13.0 * u;
        let mut taken: Vec<View> = placed
            .iter()
            .map(|(_, _, (x, y))| (x - 9.0 * u, y - 9.0 * u, 18.0 * u, 18.0 * u))
            .collect();
        for (n, pin, (x, y)) in &placed {
            let open = match &pin.href {
                // The list beside the map is the way in for keyboards and screen readers.
                Some(href) => format!(r#"<a href="{}" tabindex="-1">"#, escape(href)),
                None => "<g>".to_owned(),
            };
            let close = if pin.href.is_some() { "</a>" } else { "</g>" };
            let r = if self.numbered { 8.0 } else { 5.5 } * u;
            let _ = write!(
                svg,
                r##"{open}<circle cx="{x:.2}" cy="{y:.2}" r="{r:.2}" fill="{PIN}" stroke="#ffffff" stroke-width="{:.2}"/>"##,
                1.5 * u,
            );
            if self.numbered {
                let _ = write!(
                    svg,
                    r##"<text x="{x:.2}" y="{:.2}" font-size="{:.2}" font-weight="700" fill="#ffffff" text-anchor="middle">{n}</text>"##,
                    y + 4.0 * u,
                    11.0 * u,
                );
            }
            // The name beside the pin, right or else left, unless it would cover
            // another name or pin or leave the view: the list beside says it anyway.
            let label = truncate(&pin.label, 24);
            let width = label.chars().count() as f64 * font * 0.58;
            let right = (x + 11.0 * u, y - font * 0.75, width, font * 1.1);
            let left = (x - 11.0 * u - width, right.1, width, right.3);
            let inside = |b: &View| b.0 >= vx && b.0 + b.2 <= vx + vw && b.1 >= vy && b.1 + b.3 <= vy + vh;
            let free = |b: &View| inside(b) && !taken.iter().any(|t| overlaps(t, b));
            if let Some((bx, anchor)) = [(right, "start"), (left, "end")].into_iter().find(|(b, _)| free(b)) {
                taken.push(bx);
                let tx = if anchor == "start" { bx.0 } else { bx.0 + bx.2 };
                let _ = write!(
                    svg,
                    r##"<text x="{tx:.2}" y="{:.2}" font-size="{font:.2}" fill="{INK}" stroke="#ffffff" stroke-width="{:.2}" paint-order="stroke" text-anchor="{anchor}">{}</text>"##,
                    y + font * 0.3,
                    3.0 * u,
                    escape(&label)
                );
            }
            svg.push_str(close);
        }
        svg.push_str("</svg>");
        svg
    }
}

fn overlaps(a: &View, b: &View) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    s.chars().take(max - 1).chain(['…']).collect()
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pin(label: &str, lat: f64, lon: f64) -> Pin {
        Pin {
            label: label.to_owned(),
            href: Some(format!("/projects/{}", label.to_lowercase())),
            lat,
            lon,
        }
    }

    fn map(pins: &[Pin]) -> String {
        PinMap {
            id: "m",
            title: "Projects",
            desc: "Numbered points",
            pins,
            land_href: "/static/world-land.svg",
            min_span: 40.0,
            numbered: true,
        }
        .to_svg()
    }

    fn view_of(svg: &str) -> Vec<f64> {
        let v = svg.split("viewBox=\"").nth(1).unwrap().split('"').next().unwrap();
        v.split(' ').map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn the_land_is_a_closed_path_inside_the_world() {
        assert!(LAND_PATH.starts_with('M') && LAND_PATH.trim_end().ends_with('z'));
        assert!(LAND_PATH.len() < 64 * 1024, "a compact asset");
        let doc = world_svg();
        assert!(doc.starts_with("<svg xmlns") && doc.ends_with("</svg>") && doc.contains("viewBox=\"0 0 720 284\""));
    }

    #[test]
    fn places_project_onto_the_same_grid_as_the_land() {
        assert_eq!(project(0.0, 0.0), Some((360.0, 168.0)));
        assert_eq!(project(84.0, -180.0), Some((0.0, 0.0)));
        assert_eq!(project(-58.0, 180.0), Some((720.0, 284.0)));
        assert_eq!(
            project(-80.0, 0.0),
            Some((360.0, 284.0)),
            "Antarctica sits on the bottom edge"
        );
        assert_eq!(project(91.0, 0.0), None);
        assert_eq!(project(f64::NAN, 0.0), None);
    }

    #[test]
    fn one_numbered_labelled_linked_point_per_pin() {
        let svg = map(&[
            pin("Kpalime", 6.9, 0.63),
            pin("Lome", 6.13, 1.22),
            pin("Nowhere", 200.0, 0.0),
        ]);
        assert_eq!(svg.matches("<circle").count(), 2, "a pin not on Earth is left out");
        assert!(svg.contains(r#"<a href="/projects/kpalime" tabindex="-1">"#));
        assert!(svg.contains(">1</text>") && svg.contains(">2</text>") && !svg.contains(">3</text>"));
        assert!(svg.contains(">Kpalime</text>"));
        assert!(svg.contains(r#"role="img" aria-labelledby="m-title m-desc""#));
        assert!(svg.contains(r#"<title id="m-title">Projects</title>"#));
        assert!(
            !svg.contains("style=") && !svg.contains("href=\"http"),
            "no inline style, nothing from elsewhere"
        );
    }

    #[test]
    fn the_view_frames_the_pins_or_shows_the_world() {
        assert_eq!(view_of(&map(&[])), [0.0, 0.0, 720.0, 284.0]);
        // One point: its region, min_span wide, centred on it.
        let v = view_of(&map(&[pin("Kpalime", 6.9, 0.63)]));
        assert_eq!((v[2], v[3]), (80.0, 40.0));
        let (x, y) = project(6.9, 0.63).unwrap();
        assert!((v[0] + v[2] / 2.0 - x).abs() < 0.1 && (v[1] + v[3] / 2.0 - y).abs() < 0.1);
        // Near the edge of the world the view stays inside it.
        let v = view_of(&map(&[pin("Fiji", -17.7, 178.0)]));
        assert!(v[0] + v[2] <= 720.0 + 1e-9 && v[0] >= 0.0);
        // Points on several continents: both in view; far enough apart, the whole world.
        let v = view_of(&map(&[pin("Lima", -12.0, -77.0), pin("Hanoi", 21.0, 105.8)]));
        let (lima, hanoi) = (project(-12.0, -77.0).unwrap(), project(21.0, 105.8).unwrap());
        assert!(v[0] < lima.0 && hanoi.0 < v[0] + v[2] && v[1] < hanoi.1 && lima.1 < v[1] + v[3]);
        let world = [pin("Lima", -12.0, -77.0), pin("Tokyo", 35.7, 139.7)];
        assert_eq!(view_of(&map(&world)), [0.0, 0.0, 720.0, 284.0]);
    }

    #[test]
    fn names_never_cover_each_other() {
        // Three pins a few kilometres apart: all numbered; the first two names fit (right
        // of the first, left of the second), the third would cover one of them.
        let svg = map(&[
            pin("Kpalime", 6.9, 0.63),
            pin("Kpalime-Sud", 6.88, 0.64),
            pin("Kpalime-Est", 6.89, 0.635),
        ]);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("paint-order").count(), 2);
        let evil = pin("<script>&\"", 6.9, 0.63);
        let svg = map(&[evil]);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;&amp;&quot;"));
    }
}
