//! PNG charts for `results/`, drawn with plotters and an embedded font (DejaVu Sans Mono,
//! `assets/fonts`), so no system font library is needed.

use std::path::Path;

use plotters::prelude::*;

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

pub(crate) fn register_font() -> Result<(), String> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font does not load".to_owned())
    })
    .clone()
}

/// A series of measured points: x, mean and the half-width of its confidence interval.
pub struct ErrorBars<'a> {
    /// Legend label.
    pub label: &'a str,
    /// `(x, mean, ci95 half-width)`.
    pub points: &'a [(f64, f64, f64)],
}

/// A line to compare the measurements with (a theory).
pub struct Line<'a> {
    /// Legend label.
    pub label: &'a str,
    /// `(x, y)`.
    pub points: &'a [(f64, f64)],
}

/// Draws `bars` (points with 95 % intervals) and `lines` into a PNG at `path`.
pub fn error_bar_chart(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    bars: &ErrorBars,
    lines: &[Line],
) -> Result<(), String> {
    register_font()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let xs = bars
        .points
        .iter()
        .map(|p| p.0)
        .chain(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)));
    let ys = bars
        .points
        .iter()
        .map(|p| p.1 + p.2)
        .chain(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let x_max = xs.fold(0.0f64, f64::max) * 1.05;
    let y_max = ys.fold(0.0f64, f64::max) * 1.1;
    let draw =
        || -> Result<(), Box<dyn std::error::Error>> {
            let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 22))
                .margin(20)
                .x_label_area_size(50)
                .y_label_area_size(70)
                .build_cartesian_2d(0.0..x_max.max(1e-9), 0.0..y_max.max(1e-9))?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .label_style(("sans-serif", 15))
                .draw()?;
            let colours = [RED, GREEN, MAGENTA, CYAN];
            for (line, colour) in lines.iter().zip(colours) {
                chart
                    .draw_series(LineSeries::new(
                        line.points.iter().copied(),
                        colour.stroke_width(2),
                    ))?
                    .label(line.label)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
            }
            chart
                .draw_series(bars.points.iter().map(|&(x, m, ci)| {
                    ErrorBar::new_vertical(x, m - ci, m, m + ci, BLUE.filled(), 8)
                }))?
                .label(bars.label)
                .legend(|(x, y)| Circle::new((x + 10, y), 4, BLUE.filled()));
            chart.draw_series(
                bars.points
                    .iter()
                    .map(|&(x, m, _)| Circle::new((x, m), 4, BLUE.filled())),
            )?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font(("sans-serif", 15))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
            root.present()?;
            Ok(())
        };
    draw().map_err(|e| format!("{}: {e}", path.display()))
}

/// One panel of [`log_bar_panels`]: a figure's values, one bar per row.
pub struct BarPanel<'a> {
    /// The panel's title (the figure and its unit).
    pub title: &'a str,
    /// `(label, value, series)`: `series` picks the colour (an index into the legend).
    pub bars: Vec<(&'a str, f64, usize)>,
}

/// Draws `panels` in a grid of `cols` columns, each a horizontal bar chart on a log scale with
/// its labels on the left, and one legend entry per series name. Bars with non-positive values
/// are left out.
pub fn log_bar_panels(
    path: &Path,
    title: &str,
    panels: &[BarPanel],
    series: &[&str],
    cols: usize,
) -> Result<(), String> {
    register_font()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let colours = [BLUE, RED, GREEN, MAGENTA, CYAN];
    let cols = cols.max(1);
    let rows = panels.len().div_ceil(cols);
    let bars_per_panel = panels.iter().map(|p| p.bars.len()).max().unwrap_or(1);
    let panel_height = 90 + 26 * bars_per_panel as u32;
    // Room for the longest label, whole (about 7 px a character at 13 px).
    let longest = panels
        .iter()
        .flat_map(|p| p.bars.iter().map(|b| b.0.chars().count()))
        .max()
        .unwrap_or(10) as u32;
    let label_width = 20 + 7 * longest;
    // Wide enough for the title too (about 12 px a character at 22 px).
    let panel_width =
        (label_width + 560).max((12 * title.chars().count() as u32).div_ceil(cols as u32));
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(
            path,
            (panel_width * cols as u32, 60 + panel_height * rows as u32),
        )
        .into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 22))?;
        let (legend_area, grid) = root.split_vertically(30);
        let mut x = 20;
        for (i, name) in series.iter().enumerate() {
            let c = colours[i % colours.len()];
            legend_area.draw(&Rectangle::new([(x, 6), (x + 18, 24)], c.filled()))?;
            legend_area.draw(&Text::new(
                name.to_string(),
                (x + 24, 6),
                ("sans-serif", 16),
            ))?;
            x += 40 + 10 * name.len() as i32;
        }
        for (area, panel) in grid.split_evenly((rows, cols)).iter().zip(panels) {
            let values: Vec<f64> = panel
                .bars
                .iter()
                .map(|b| b.1)
                .filter(|v| *v > 0.0)
                .collect();
            let lo = values
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                .min(1.0)
                / 3.0;
            let hi = values.iter().copied().fold(0.0f64, f64::max).max(lo * 10.0) * 3.0;
            let n = panel.bars.len();
            let labels: Vec<String> = panel.bars.iter().map(|b| b.0.to_owned()).collect();
            let mut chart = ChartBuilder::on(area)
                .caption(panel.title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(label_width)
                .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_labels(6)
                .x_label_formatter(&|v| engineering(*v))
                .y_labels(n + 1)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style(("sans-serif", 13))
                .draw()?;
            chart.draw_series(
                panel
                    .bars
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.1 > 0.0)
                    .map(|(i, &(_, v, s))| {
                        let c = colours[s % colours.len()];
                        let mut bar = Rectangle::new(
                            [
                                (lo, SegmentValue::Exact(i)),
                                (v, SegmentValue::Exact(i + 1)),
                            ],
                            c.filled(),
                        );
                        bar.set_margin(3, 3, 0, 0);
                        bar
                    }),
            )?;
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| format!("{}: {e}", path.display()))
}

/// A tick label in engineering form: `1`, `10`, `100`, `1k`, `10M`, `0.01`.
pub fn engineering(v: f64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else if a >= 1e-3 || a == 0.0 {
        trim(v)
    } else {
        format!("{v:.0e}")
    }
}

/// One line of a [`series_chart`]: points `(x, y, ci95 half-width)`; a zero half-width draws
/// no bar.
pub struct Series {
    /// Legend label.
    pub label: String,
    /// `(x, y, ci95)`.
    pub points: Vec<(f64, f64, f64)>,
}

/// How a [`series_chart`] draws its y axis.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum YAxis {
    /// Linear.
    Linear,
    /// log₁₀ (non-positive points are left out).
    Log,
    /// A fraction: linear, its intervals cut to [0, 1] (a proportion's normal-approximation
    /// interval can pass 1).
    Fraction,
}

/// The colours of series, in order.
const COLOURS: [RGBColor; 6] = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];

/// Draws one legend row across `area`: a swatch and the label per entry, in order, wrapping
/// to a second row if needed. Returns nothing drawn over the plot itself.
fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    labels: &[&str],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let width = area.dim_in_pixel().0 as i32;
    for (i, (label, (x, y))) in labels.iter().zip(legend_places(labels, width)).enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        area.draw(&Rectangle::new([(x, y + 4), (x + 18, y + 16)], c.filled()))?;
        area.draw(&Text::new(
            label.to_string(),
            (x + 24, y),
            ("sans-serif", 16),
        ))?;
    }
    Ok(())
}

/// Where each legend entry goes in a row `width` pixels wide, wrapping to further rows.
fn legend_places(labels: &[&str], width: i32) -> Vec<(i32, i32)> {
    let (mut x, mut y) = (20, 4);
    let mut places = Vec::with_capacity(labels.len());
    for label in labels {
        // About 9 px a character at 16 px, a swatch and a gap.
        let w = 50 + 9 * label.chars().count() as i32;
        if x + w > width && x > 20 {
            (x, y) = (20, y + 22);
        }
        places.push((x, y));
        x += w;
    }
    places
}

/// Draws several series as lines with markers (and 95 % bars where given) into a PNG at
/// `path`, the legend in a row under the title, tick labels in engineering form (`2`, `0.05`,
/// `10k`).
pub fn series_chart(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series],
    y_axis: YAxis,
) -> Result<(), String> {
    register_font()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let log_y = y_axis == YAxis::Log;
    let y = |v: f64| if log_y { v.log10() } else { v };
    let shown: Vec<Vec<(f64, f64, f64, f64)>> = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter(|p| p.1.is_finite() && (!log_y || p.1 > 0.0))
                .map(|&(x, m, ci)| {
                    let (mut lo, mut hi) = (m - ci, m + ci);
                    if log_y && lo <= 0.0 {
                        lo = m;
                    }
                    if y_axis == YAxis::Fraction {
                        (lo, hi) = (lo.max(0.0), hi.min(1.0));
                    }
                    (x, y(m), y(lo), y(hi))
                })
                .collect()
        })
        .collect();
    let all = || shown.iter().flatten();
    let (x_lo, x_hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.0), a.1.max(p.0))
    });
    let (y_lo, y_hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
        (a.0.min(p.2), a.1.max(p.3))
    });
    if !x_lo.is_finite() || !y_lo.is_finite() {
        return Err(format!("{}: nothing to plot", path.display()));
    }
    let pad = |lo: f64, hi: f64| {
        let d = (hi - lo).max(1e-9) * 0.05;
        (lo - d)..(hi + d)
    };
    let y_desc = if log_y {
        format!("{y_label} (log scale)")
    } else {
        y_label.to_owned()
    };
    let y_tick = |v: &f64| {
        if log_y {
            engineering(10f64.powf(*v))
        } else {
            engineering(*v)
        }
    };
    let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    // The rows the legend wraps to, 22 px each (the picture is 900 px wide).
    let legend_height = legend_places(&labels, 900)
        .last()
        .map_or(26, |&(_, y)| (y + 22) as u32);
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, (900, 620)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 20))?;
        let (legend_area, plot_area) = root.split_vertically(legend_height);
        legend_row(&legend_area, &labels)?;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(pad(x_lo, x_hi), pad(y_lo, y_hi))?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_desc.as_str())
            .x_label_formatter(&|v| engineering(*v))
            .y_label_formatter(&y_tick)
            .label_style(("sans-serif", 15))
            .draw()?;
        for (i, pts) in shown.iter().enumerate() {
            let c = COLOURS[i % COLOURS.len()];
            chart.draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                c.stroke_width(2),
            ))?;
            chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 3, c.filled())))?;
            chart.draw_series(
                pts.iter()
                    .filter(|p| p.3 > p.2)
                    .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, c.filled(), 6)),
            )?;
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn engineering_tick_labels() {
        let labels: Vec<String> = [1.0, 10.0, 1000.0, 1e5, 1e6, 1e8, 2.5e9, 0.1, 0.001, 1e-4]
            .into_iter()
            .map(super::engineering)
            .collect();
        assert_eq!(
            labels,
            [
                "1", "10", "1k", "100k", "1M", "100M", "2.5G", "0.1", "0.001", "1e-4"
            ]
        );
    }
}
