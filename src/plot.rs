//! PNG charts for `results/`, drawn with plotters and an embedded font (DejaVu Sans Mono,
//! `assets/fonts`), so no system font library is needed.

use std::path::Path;

use plotters::prelude::*;

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

fn register_font() -> Result<(), String> {
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
