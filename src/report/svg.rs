//! The HTML report's inline SVG charts, drawn by hand: schema object counts (grouped bars,
//! before / after per kind, the plan's threshold dashed) and migration timings (actual time
//! against the expected band). Every label is text in the SVG, escaped; charts scale to the
//! page width through their `viewBox`.

use std::fmt::Write;

use super::content::{self as c, SchemaRow, Timing};
use super::escape as e;
use crate::run_result::{MigrationResult, MigrationStatus};

const FONT: &str = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif\"";
const BEFORE: &str = "#9db4cc";
const AFTER: &str = "#1f5a96";
const INK: &str = "#1f2328";
const MUTED: &str = "#57606a";
const GRID: &str = "#d8dee4";

/// A "nice" axis maximum and tick step for values up to `max`.
fn axis(max: f64) -> (f64, f64) {
    let max = if max <= 0.0 { 1.0 } else { max };
    let rough = max / 5.0;
    let mag = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= rough).unwrap_or(10.0 * mag);
    let top = (max / step).ceil() * step;
    (top, step)
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// Grouped bars: per kind, before and after, with the plan's threshold as a dashed line.
pub fn schema_chart(rows: &[SchemaRow]) -> String {
    let (w, h) = (960.0, 320.0);
    let (left, right, top, bottom) = (52.0, 12.0, 36.0, 48.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let thresholds: Vec<Vec<f64>> =
        rows.iter().map(|r| r.expected.iter().filter_map(|x| x.threshold(r.before)).collect()).collect();
    let max = rows
        .iter()
        .zip(&thresholds)
        .flat_map(|(r, t)| [r.before.unwrap_or(0) as f64, r.after.unwrap_or(0) as f64].into_iter().chain(t.iter().copied()))
        .fold(0.0, f64::max);
    let (ymax, step) = axis(max * 1.08);
    let y = |v: f64| top + plot_h - v / ymax * plot_h;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"Schema object counts before and after the migrations\" {FONT} font-size=\"12\">"
    );
    // Grid and y axis.
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let yy = y(v);
        let _ = writeln!(o, "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{}\" y2=\"{yy:.1}\" stroke=\"{GRID}\"/>", w - right);
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>",
            left - 6.0,
            yy + 4.0,
            num(v)
        );
        v += step;
    }
    let _ = writeln!(o, "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"{MUTED}\"/>", top + plot_h);
    // Legend.
    let legend_y = 14.0;
    let _ = writeln!(o, "<rect x=\"{left}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{BEFORE}\"/>", legend_y - 10.0);
    let _ = writeln!(o, "<text x=\"{}\" y=\"{legend_y}\" fill=\"{INK}\">before</text>", left + 17.0);
    let _ = writeln!(o, "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{AFTER}\"/>", left + 72.0, legend_y - 10.0);
    let _ = writeln!(o, "<text x=\"{}\" y=\"{legend_y}\" fill=\"{INK}\">after</text>", left + 89.0);
    let _ = writeln!(
        o,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{INK}\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>",
        left + 140.0,
        legend_y - 4.0,
        left + 164.0,
        legend_y - 4.0
    );
    let _ = writeln!(o, "<text x=\"{}\" y=\"{legend_y}\" fill=\"{INK}\">expected minimum (plan)</text>", left + 170.0);
    // Bars.
    let group = plot_w / rows.len().max(1) as f64;
    let bar = (group * 0.3).min(40.0);
    for (i, (r, ts)) in rows.iter().zip(&thresholds).enumerate() {
        let cx = left + group * (i as f64 + 0.5);
        let after_x = cx + 2.0;
        for (value, x, fill, which) in [(r.before, cx - bar - 2.0, BEFORE, "before"), (r.after, after_x, AFTER, "after")] {
            match value {
                Some(n) => {
                    let yy = y(n as f64);
                    let _ = writeln!(
                        o,
                        "<rect x=\"{x:.1}\" y=\"{yy:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{} {which}: {n}</title></rect>",
                        top + plot_h - yy,
                        e(r.label())
                    );
                    // The value sits above its bar, and above a threshold line that would cross it.
                    let mut label_y = yy - 4.0;
                    if which == "after" {
                        for t in ts.iter().map(|t| y(*t)) {
                            if t < yy + 2.0 && t > label_y - 13.0 {
                                label_y = label_y.min(t - 5.0);
                            }
                        }
                    }
                    let _ = writeln!(
                        o,
                        "<text x=\"{:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{n}</text>",
                        x + bar / 2.0
                    );
                }
                None => {
                    let _ = writeln!(
                        o,
                        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{MUTED}\" font-size=\"10\">n/m</text>",
                        x + bar / 2.0,
                        top + plot_h - 4.0
                    );
                }
            }
        }
        // The plan's threshold applies to the count after the migrations: drawn across that bar.
        for t in ts {
            let yy = y(*t);
            let _ = writeln!(
                o,
                "<line x1=\"{:.1}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"{INK}\" stroke-width=\"2\" stroke-dasharray=\"5 3\"><title>{}: expected at least {}</title></line>",
                after_x - 5.0,
                after_x + bar + 5.0,
                e(r.label()),
                num(*t)
            );
        }
        let _ = writeln!(
            o,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
            top + plot_h + 18.0,
            e(r.label())
        );
    }
    if rows.iter().any(|r| r.after.is_none()) {
        let _ = writeln!(
            o,
            "<text x=\"{left}\" y=\"{:.1}\" fill=\"{MUTED}\" font-size=\"11\">n/m: not measured (the run stopped before verification)</text>",
            h - 6.0
        );
    }
    o.push_str("</svg>\n");
    o
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_owned() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

/// Horizontal bars: per migration the expected band (shaded) and the actual time (a bar).
pub fn timing_chart(migrations: &[MigrationResult]) -> String {
    let row_h = 40.0;
    let (w, left, right, top, bottom) = (960.0, 270.0, 140.0, 34.0, 36.0);
    let h = top + row_h * migrations.len() as f64 + bottom;
    let plot_w = w - left - right;
    let max = migrations.iter().flat_map(|m| [m.expected_ms.map_or(0.0, |r| r.max() as f64), m.duration_ms]).fold(0.0, f64::max);
    let (xmax, step) = axis(max * 1.05);
    let x = |v: f64| left + v.min(xmax) / xmax * plot_w;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"Migration timings against the expected ranges\" {FONT} font-size=\"12\">"
    );
    // Legend.
    let ly = 14.0;
    let _ =
        writeln!(o, "<rect x=\"{left}\" y=\"{}\" width=\"18\" height=\"12\" fill=\"#dbe7f5\" stroke=\"#7a9cc6\"/>", ly - 10.0);
    let _ = writeln!(o, "<text x=\"{}\" y=\"{ly}\" fill=\"{INK}\">expected range</text>", left + 23.0);
    let _ = writeln!(o, "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"8\" fill=\"{AFTER}\"/>", left + 130.0, ly - 8.0);
    let _ = writeln!(o, "<text x=\"{}\" y=\"{ly}\" fill=\"{INK}\">actual time</text>", left + 153.0);
    let _ = writeln!(o, "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"8\" fill=\"#c62828\"/>", left + 240.0, ly - 8.0);
    let _ = writeln!(o, "<text x=\"{}\" y=\"{ly}\" fill=\"{INK}\">failed</text>", left + 263.0);
    // Grid and x axis.
    let axis_y = top + row_h * migrations.len() as f64;
    let mut v = 0.0;
    while v <= xmax + 1e-9 {
        let xx = x(v);
        let _ = writeln!(o, "<line x1=\"{xx:.1}\" y1=\"{top}\" x2=\"{xx:.1}\" y2=\"{axis_y:.1}\" stroke=\"{GRID}\"/>");
        let _ = writeln!(
            o,
            "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{MUTED}\">{}</text>",
            axis_y + 16.0,
            num(v)
        );
        v += step;
    }
    let _ =
        writeln!(o, "<line x1=\"{left}\" y1=\"{axis_y:.1}\" x2=\"{}\" y2=\"{axis_y:.1}\" stroke=\"{MUTED}\"/>", left + plot_w);
    let _ = writeln!(
        o,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{MUTED}\">milliseconds</text>",
        left + plot_w / 2.0,
        axis_y + 31.0
    );
    for (i, m) in migrations.iter().enumerate() {
        let y0 = top + row_h * i as f64;
        let mid = y0 + row_h / 2.0;
        let name = format!("{} {}", m.id, m.title);
        let _ = writeln!(
            o,
            "<text x=\"8\" y=\"{:.1}\" fill=\"{INK}\" font-weight=\"600\"><title>{}</title>{}</text>",
            mid - 3.0,
            e(&name),
            e(&shorten(&name, 32))
        );
        let _ = writeln!(
            o,
            "<text x=\"8\" y=\"{:.1}\" fill=\"{MUTED}\" font-size=\"11\">expected {}</text>",
            mid + 12.0,
            e(&c::range_text(m))
        );
        let (b0, b1) = m.expected_ms.map_or((x(0.0), x(0.0)), |r| (x(r.min() as f64), x(r.max() as f64)));
        let _ = writeln!(
            o,
            "<rect x=\"{b0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#dbe7f5\" stroke=\"#7a9cc6\"><title>expected {}</title></rect>",
            y0 + 6.0,
            (b1 - b0).max(1.0),
            row_h - 12.0,
            e(&c::range_text(m))
        );
        let (label, note, fill) = match m.status {
            MigrationStatus::Applied => (
                c::fmt_ms(m.duration_ms),
                match c::timing(m) {
                    Timing::Faster => "faster",
                    Timing::Slower => "SLOWER",
                    _ => "within range",
                },
                if c::timing(m) == Timing::Slower { "#9a6700" } else { AFTER },
            ),
            MigrationStatus::Failed => (c::fmt_ms(m.duration_ms), "FAILED", "#c62828"),
            MigrationStatus::Cancelled => (c::fmt_ms(m.duration_ms), "CANCELLED", "#c62828"),
            MigrationStatus::AlreadyApplied => ("–".into(), "already applied", MUTED),
            MigrationStatus::NotRun => ("–".into(), "not run", MUTED),
        };
        if matches!(m.status, MigrationStatus::Applied | MigrationStatus::Failed | MigrationStatus::Cancelled) {
            let _ = writeln!(
                o,
                "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"10\" fill=\"{fill}\"><title>{}: {}</title></rect>",
                mid - 5.0,
                (x(m.duration_ms) - left).max(1.5),
                e(&m.id),
                e(&label)
            );
        }
        let tx = left + plot_w + 10.0;
        let _ = writeln!(o, "<text x=\"{tx}\" y=\"{:.1}\" fill=\"{INK}\" font-weight=\"600\">{}</text>", mid - 3.0, e(&label));
        let _ = writeln!(o, "<text x=\"{tx}\" y=\"{:.1}\" fill=\"{fill}\" font-size=\"11\">{}</text>", mid + 12.0, e(note));
        if i + 1 < migrations.len() {
            let _ =
                writeln!(o, "<line x1=\"0\" y1=\"{:.1}\" x2=\"{w}\" y2=\"{:.1}\" stroke=\"#eef1f4\"/>", y0 + row_h, y0 + row_h);
        }
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::axis;

    #[test]
    fn axis_is_round() {
        assert_eq!(axis(164.0 * 1.08), (200.0, 50.0));
        assert_eq!(axis(525.0), (600.0, 200.0));
        assert_eq!(axis(59.0), (60.0, 20.0));
        assert_eq!(axis(0.0), (1.0, 0.2));
    }
}
