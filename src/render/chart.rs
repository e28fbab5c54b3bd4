//! The digest chart: goal progress and wins per period as one PNG, drawn as SVG from a compiled
//! askama template (user text escaped) and rasterised by resvg with the font compiled into the
//! binary — no system fonts, fontconfig or other library at run time.

use std::sync::{Arc, OnceLock};

use askama::Template;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use resvg::{tiny_skia, usvg};

use crate::domain::digest::Digest;
use crate::domain::message::Attachment;
use crate::domain::text::{number, truncate};

/// Width of the chart in pixels: wide enough for a phone's 2–3× screens, small enough to load fast.
pub const WIDTH: u32 = 800;
/// Goals drawn; the digest's text lists the rest.
pub const MAX_GOALS: usize = 5;
/// The font family every chart and report uses, shipped in `assets/fonts/`.
pub const FONT_FAMILY: &str = "DejaVu Sans";

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const MARGIN: i32 = 32;
const TRACK: i32 = WIDTH as i32 - 2 * MARGIN;
const GOAL_ROW: i32 = 80;
const BAR_AREA: i32 = 190;
const BAR_WIDTH: i32 = 60;
/// Room the value label needs beside a goal's bar before it moves inside the bar.
const VALUE_ROOM: i32 = 270;

#[derive(Template)]
#[template(path = "digest_chart.svg")]
struct ChartSvg {
    width: i32,
    height: i32,
    title: String,
    subtitle: String,
    empty: bool,
    goals_top: i32,
    track: i32,
    goals: Vec<GoalRow>,
    goals_note: Option<String>,
    goals_note_y: i32,
    wins_top: i32,
    wins_heading: String,
    this_period: String,
    baseline: i32,
    bar_width: i32,
    bars: Vec<Bar>,
    wins_note: Option<String>,
}

struct GoalRow {
    y: i32,
    label: String,
    due: String,
    has_bar: bool,
    fill: i32,
    color: &'static str,
    value: String,
    value_inside: bool,
}

struct Bar {
    x: i32,
    height: i32,
    count: i64,
    label: String,
    current: bool,
}

/// The chart as SVG text (what [`png`] rasterises).
pub fn digest_svg(d: &Digest) -> String {
    let tz: Tz = d.timezone.parse().unwrap_or(chrono_tz::UTC);
    let empty = d.goals.is_empty() && d.goals_active == 0 && d.wins_per_period.iter().all(|n| *n == 0);
    let title = format!("Weekly progress · {}", truncate(&d.coalition, 32));
    let subtitle = format!(
        "{} – {}",
        date(d.period_start, tz, "%-d %b"),
        date(d.period_end, tz, "%-d %b %Y")
    );

    let goals_top = 140;
    let mut y = goals_top + 4;
    let goals: Vec<GoalRow> = d
        .goals
        .iter()
        .take(MAX_GOALS)
        .map(|g| {
            let unit = g
                .unit
                .as_deref()
                .map(|u| format!(" {}", truncate(u, 16)))
                .unwrap_or_default();
            let due = match g.due_at {
                Some(at) => format!("due {}", date(at, tz, "%-d %b %Y")),
                None => "no due date".into(),
            };
            let row = match (g.target, g.fraction) {
                (Some(target), Some(f)) => {
                    let fill = (f * TRACK as f64).round() as i32;
                    let fill = if f > 0.0 { fill.max(26) } else { 0 };
                    GoalRow {
                        y,
                        label: format!("#{} {}", g.number, truncate(&g.title, 40)),
                        due,
                        has_bar: true,
                        fill,
                        color: if f >= 1.0 { "#4ADE80" } else { "#22C55E" },
                        value: format!(
                            "{} / {}{unit} · {:.0}%",
                            number(g.current),
                            number(target),
                            f * 100.0
                        ),
                        value_inside: fill > TRACK - VALUE_ROOM,
                    }
                }
                _ => GoalRow {
                    y,
                    label: format!("#{} {}", g.number, truncate(&g.title, 40)),
                    due,
                    has_bar: false,
                    fill: 0,
                    color: "#22C55E",
                    value: format!("{}{unit} so far (no target)", number(g.current)),
                    value_inside: false,
                },
            };
            y += GOAL_ROW;
            row
        })
        .collect();
    let hidden = d.goals_active - goals.len() as i64;
    let goals_note = if goals.is_empty() {
        Some("No active goals yet: add one with /goal add.".to_string())
    } else if hidden > 0 {
        Some(format!(
            "+ {hidden} more active goal{} in the digest",
            if hidden == 1 { "" } else { "s" }
        ))
    } else {
        None
    };
    let goals_note_y = y + 26;
    if goals_note.is_some() {
        y += 44;
    }

    let wins_top = y + 44;
    let baseline = wins_top + 40 + BAR_AREA;
    let length = (d.period_end - d.period_start).max(1);
    let periods = d.wins_per_period.len().max(1) as i64;
    let max = d.wins_per_period.iter().copied().max().unwrap_or(0).max(1);
    let slot = TRACK / periods as i32;
    let bars: Vec<Bar> = d
        .wins_per_period
        .iter()
        .enumerate()
        .map(|(i, count)| {
            let current = i as i64 == periods - 1;
            let start = d.period_end - (periods - i as i64) * length;
            Bar {
                x: MARGIN + slot * i as i32 + (slot - BAR_WIDTH) / 2,
                height: ((*count as f64 / max as f64) * (BAR_AREA - 30) as f64).round() as i32,
                count: *count,
                label: if current {
                    "now".into()
                } else {
                    date(start, tz, "%-d %b")
                },
                current,
            }
        })
        .collect();
    let this = d.wins_per_period.last().copied().unwrap_or(0);
    let weekly = length == 7 * 86_400;
    let svg = ChartSvg {
        width: WIDTH as i32,
        height: if empty { 520 } else { baseline + 52 },
        title,
        subtitle,
        empty,
        goals_top,
        track: TRACK,
        goals,
        goals_note,
        goals_note_y,
        wins_top,
        wins_heading: if weekly {
            "Wins per week".into()
        } else {
            "Wins per digest period".into()
        },
        this_period: format!("this {}: {this}", if weekly { "week" } else { "period" }),
        baseline,
        bar_width: BAR_WIDTH,
        bars,
        wins_note: (max == 1 && this == 0 && d.wins_per_period.iter().all(|n| *n == 0))
            .then(|| "No wins in 8 weeks yet: log the next one with /win log!".to_string()),
    };
    // Rendering a template of plain fields cannot fail; an empty string would only lose the chart.
    svg.render().unwrap_or_default()
}

/// The chart as a PNG attachment, or `None` (logged) if it could not be drawn: the digest
/// goes out without its picture rather than not at all.
pub fn digest_png(d: &Digest) -> Option<Attachment> {
    let tz: Tz = d.timezone.parse().unwrap_or(chrono_tz::UTC);
    match png(&digest_svg(d)) {
        Ok(bytes) => Some(Attachment::new(
            &format!("digest-{}.png", date(d.period_end, tz, "%Y-%m-%d")),
            bytes,
        )),
        Err(e) => {
            tracing::warn!(error = %e, coalition = %d.coalition_id, "digest chart not drawn");
            None
        }
    }
}

/// Rasterises `svg` to PNG with the embedded fonts.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    let opt = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        fontdb: fonts().clone(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| format!("chart SVG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| format!("chart size {}×{}", size.width(), size.height()))?;
    resvg::render(&tree, tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    encode_opaque(&pixmap).map_err(|e| format!("chart PNG: {e}"))
}

/// The pixmap as an RGB PNG. Every chart is drawn on an opaque card, so the alpha channel
/// carries nothing (and premultiplied colour equals plain colour); fast compression keeps the
/// file small at a fraction of the default level's time.
fn encode_opaque(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, png::EncodingError> {
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

/// The embedded fonts, loaded once.
fn fonts() -> &'static Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        for font in [REGULAR, BOLD] {
            db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(font)));
        }
        Arc::new(db)
    })
}

fn date(at: i64, tz: Tz, fmt: &str) -> String {
    match Utc.timestamp_opt(at, 0).single() {
        Some(t) => DateTime::<Utc>::with_timezone(&t, &tz).format(fmt).to_string(),
        None => at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CoalitionId;
    use crate::domain::digest::DigestGoal;

    const END: i64 = 1_795_420_800; // Mon 23 Nov 2026 09:00 in Berlin (08:00 UTC)

    fn digest(goals: Vec<DigestGoal>, wins: Vec<i64>) -> Digest {
        Digest {
            coalition_id: CoalitionId(1),
            coalition: "Clean <Air> & Water".into(),
            timezone: "Europe/Berlin".into(),
            period_start: END - 7 * 86_400,
            period_end: END,
            wins_count: wins.last().copied().unwrap_or(0),
            wins_per_period: wins,
            wins: Vec::new(),
            tasks_completed: 0,
            tasks_cancelled: 0,
            overdue_count: 0,
            overdue: Vec::new(),
            meetings: Default::default(),
            upcoming_count: 0,
            upcoming: Vec::new(),
            goals_active: goals.len() as i64,
            goals,
            participation: None,
            blockers_count: 0,
            blockers: Vec::new(),
            top_contributors: Vec::new(),
            away: Vec::new(),
            feedback_new: 0,
            feedback_acknowledged: 0,
            checkin_blockers_count: 0,
            blockers_for_leads: 0,
            advocacy: Default::default(),
        }
    }

    fn goal(number: i64, title: &str, current: f64, target: Option<f64>) -> DigestGoal {
        DigestGoal {
            number,
            title: title.into(),
            current,
            target,
            unit: Some("trees".into()),
            due_at: Some(END + 30 * 86_400),
            fraction: target.map(|t| (current / t).clamp(0.0, 1.0)),
        }
    }

    /// Decodes a PNG: (width, height, RGBA or RGB pixels, bytes per pixel).
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf, info.color_type.samples())
    }

    fn colors(pixels: &[u8], bpp: usize) -> std::collections::HashSet<&[u8]> {
        pixels.chunks(bpp).collect()
    }

    #[test]
    fn chart_png_decodes_at_the_expected_size_and_is_not_blank() {
        let d = digest(
            vec![
                goal(1, "Plant trees", 45.0, Some(100.0)),
                goal(2, "Reach <neighbours>", 7.0, None),
            ],
            vec![3, 0, 5, 2, 8, 1, 4, 6],
        );
        let file = digest_png(&d).expect("drawn");
        assert_eq!(file.name, "digest-2026-11-23.png");
        assert!(file.bytes.len() < 200_000, "{} bytes", file.bytes.len());
        let (w, h, pixels, bpp) = decode(&file.bytes);
        // Two goal rows and no "more goals" note: header 144 + 2 × 80, wins block 44 + 40 + 190 + 52.
        assert_eq!((w, h), (WIDTH, 144 + 2 * 80 + 44 + 40 + 190 + 52));
        // Opaque everywhere, so it reads the same on Discord's dark and light themes.
        if bpp == 4 {
            assert!(pixels.chunks(4).all(|p| p[3] == 255), "transparent pixels");
        }
        // Not blank: the card, bars, the highlighted week and anti-aliased text.
        assert!(
            colors(&pixels, bpp).len() > 50,
            "{} colours",
            colors(&pixels, bpp).len()
        );
        let amber = pixels
            .chunks(bpp)
            .filter(|p| p[..3] == [0xF5, 0x9E, 0x0B])
            .count();
        assert!(amber > 1000, "this week's bar is highlighted ({amber} px)");
        let svg = digest_svg(&d);
        for label in [
            "45 / 100 trees · 45%",
            "due 23 Dec 2026",
            "this week: 6",
            "#2 Reach &#60;neighbours&#62;",
            "Clean &#60;Air&#62; &#38; Water",
        ] {
            assert!(svg.contains(label), "missing {label}");
        }
    }

    #[test]
    fn no_goals_and_no_wins_is_an_encouraging_card_not_empty_axes() {
        let d = digest(Vec::new(), vec![0; 8]);
        let svg = digest_svg(&d);
        assert!(svg.contains("A fresh start!") && svg.contains("/goal add") && svg.contains("/win log"));
        assert!(!svg.contains("Wins per week"), "no empty axes");
        let (w, h, pixels, bpp) = decode(&digest_png(&d).expect("drawn").bytes);
        assert_eq!((w, h), (WIDTH, 520));
        assert!(colors(&pixels, bpp).len() > 20);
    }

    #[test]
    fn more_goals_than_fit_are_counted() {
        let goals: Vec<DigestGoal> = (1..=7).map(|i| goal(i, "g", i as f64, Some(10.0))).collect();
        let svg = digest_svg(&digest(goals, vec![0, 0, 0, 0, 0, 0, 0, 1]));
        assert!(svg.contains("+ 2 more active goals in the digest"), "{svg}");
    }
}
