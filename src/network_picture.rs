//! A picture of a network: nodes where the file puts them (or where [`crate::layout::spring`] does,
//! when any node lacks a position), links as lines — grey and dashed when down — and names.
//! PNG or SVG by the file's extension. `vnet draw` uses it.

use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use vnet_sim::netfile::{NetworkFile, split_end};

/// Draws `file`'s nodes and links into `path` (`.png` or `.svg`), `size` pixels square.
pub fn draw(file: &NetworkFile, path: &Path, size: u32) -> Result<(), String> {
    crate::plot::register_font()?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("png") => {
            let root = BitMapBackend::new(path, (size, size)).into_drawing_area();
            paint(file, &root, size)?;
            root.present().map_err(|e| e.to_string())
        }
        Some("svg") => {
            let root = SVGBackend::new(path, (size, size)).into_drawing_area();
            paint(file, &root, size)?;
            root.present().map_err(|e| e.to_string())
        }
        _ => Err(format!("{}: name a .png or an .svg file", path.display())),
    }
}

fn paint<DB: DrawingBackend>(
    file: &NetworkFile,
    root: &DrawingArea<DB, Shift>,
    size: u32,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let pos = vnet_studio::positions(file);
    let n = file.nodes.len().max(1);
    // Smaller marks and no names when crowded.
    let radius = ((size as f64 / (n as f64).sqrt() / 6.0).clamp(2.0, 14.0)) as i32;
    let names = n <= 400;
    // Room for names on the right and at the top.
    let (left, right, top, bottom): (f64, f64, f64, f64) = (30.0, 90.0, 40.0, 30.0);
    let scale = size as f64 - (left + right).max(top + bottom);
    let at = |p: [f64; 2]| ((left + p[0] * scale) as i32, (top + p[1] * scale) as i32);
    let index = |name: &str| file.nodes.iter().position(|x| x.name == name);
    for l in &file.links {
        let (Some((a, _)), Some((b, _))) = (split_end(&l.a), split_end(&l.b)) else {
            continue;
        };
        let (Some(a), Some(b)) = (index(a), index(b)) else {
            continue;
        };
        let (pa, pb) = (at(pos[a]), at(pos[b]));
        if l.up {
            root.draw(&PathElement::new(
                vec![pa, pb],
                BLUE.mix(0.6).stroke_width(2),
            ))
            .map_err(err)?;
        } else {
            let dashed =
                DashedPathElement::new(vec![pa, pb], 6, 4, RGBColor(160, 160, 160).stroke_width(2));
            root.draw(&dashed).map_err(err)?;
        }
    }
    let font = ("sans-serif", (radius + 6).clamp(10, 16)).into_font();
    for (node, &p) in file.nodes.iter().zip(&pos) {
        let c = at(p);
        let colour = if node.workers.is_empty() && node.program.is_none() {
            RGBColor(200, 200, 200)
        } else {
            RGBColor(255, 170, 60)
        };
        root.draw(&Circle::new(c, radius, colour.filled()))
            .map_err(err)?;
        root.draw(&Circle::new(c, radius, BLACK.stroke_width(1)))
            .map_err(err)?;
        if names {
            root.draw(&Text::new(
                node.name.clone(),
                (c.0 + radius + 2, c.1 - radius - 2),
                font.clone(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}
