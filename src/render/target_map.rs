//! `/target map`: the power/interest grid — stance across, influence down — as a PNG drawn the
//! same way as the digest chart (an askama SVG template, user text escaped, rasterised by resvg
//! with the embedded fonts). Every target's name is written in its cell.

use askama::Template;

use super::chart::png;
use super::tasks::plain_name;
use crate::actions::target_views::TargetMap;
use crate::domain::message::{Attachment, Embed, Message, colors};
use crate::domain::targets::{Influence, Stance, Target};
use crate::domain::text::truncate;

/// Width of the picture in pixels.
pub const WIDTH: i32 = 1200;
/// Names one cell lists before "+ N more".
pub const CELL_NAMES: usize = 12;
/// Characters of a name in a cell.
const NAME_CHARS: usize = 20;
const LABEL_WIDTH: i32 = 150;
const MARGIN: i32 = 32;
const LINE: i32 = 24;
const GRID_TOP: i32 = 160;

#[derive(Template)]
#[template(path = "target_map.svg")]
struct MapSvg {
    width: i32,
    height: i32,
    title: String,
    subtitle: String,
    grid_top: i32,
    columns: Vec<Column>,
    rows: Vec<Row>,
    empty_note: Option<String>,
    footer: String,
}

struct Column {
    x: i32,
    width: i32,
    label: &'static str,
    color: &'static str,
}

struct Row {
    y: i32,
    height: i32,
    label: String,
    sublabel: String,
    cells: Vec<Cell>,
}

struct Cell {
    x: i32,
    width: i32,
    names: Vec<Name>,
}

struct Name {
    y: i32,
    text: String,
}

/// Stances left to right: the least favourable first, so support grows to the right.
const ACROSS: [Stance; 5] = [
    Stance::Hostile,
    Stance::Opposed,
    Stance::Neutral,
    Stance::Supportive,
    Stance::Champion,
];

fn color(s: Stance) -> &'static str {
    match s {
        Stance::Hostile => "#F87171",
        Stance::Opposed => "#FDBA74",
        Stance::Neutral => "#E2E8F0",
        Stance::Supportive => "#86EFAC",
        Stance::Champion => "#4ADE80",
    }
}

/// The grid as SVG text (what [`map_png`] rasterises).
pub fn map_svg(m: &TargetMap) -> String {
    let col_width = (WIDTH - 2 * MARGIN - LABEL_WIDTH) / ACROSS.len() as i32;
    let columns: Vec<Column> = ACROSS
        .iter()
        .enumerate()
        .map(|(i, s)| Column {
            x: MARGIN + LABEL_WIDTH + i as i32 * col_width,
            width: col_width,
            label: s.as_str(),
            color: color(*s),
        })
        .collect();
    // Influence rows, high first; "not rated" only when some target has none.
    let mut levels: Vec<Option<Influence>> = Influence::ALL.into_iter().map(Some).collect();
    if m.targets.iter().any(|t| t.influence.is_none()) {
        levels.push(None);
    }
    let mut y = GRID_TOP;
    let rows: Vec<Row> = levels
        .into_iter()
        .map(|level| {
            let in_row: Vec<&Target> = m.targets.iter().filter(|t| t.influence == level).collect();
            let per_cell: Vec<Vec<&Target>> = ACROSS
                .iter()
                .map(|s| in_row.iter().copied().filter(|t| t.stance == *s).collect())
                .collect();
            let lines = per_cell
                .iter()
                .map(|c| {
                    if c.len() > CELL_NAMES {
                        CELL_NAMES + 1
                    } else {
                        c.len()
                    }
                })
                .max()
                .unwrap_or(0)
                .max(2) as i32;
            let height = lines * LINE + 24;
            let cells = per_cell
                .iter()
                .zip(&columns)
                .map(|(targets, col)| {
                    let mut names: Vec<Name> = targets
                        .iter()
                        .take(CELL_NAMES)
                        .enumerate()
                        .map(|(i, t)| Name {
                            y: y + 26 + i as i32 * LINE,
                            text: truncate(&t.name, NAME_CHARS),
                        })
                        .collect();
                    if targets.len() > CELL_NAMES {
                        names.push(Name {
                            y: y + 26 + CELL_NAMES as i32 * LINE,
                            text: format!("+ {} more", targets.len() - CELL_NAMES),
                        });
                    }
                    Cell {
                        x: col.x,
                        width: col.width,
                        names,
                    }
                })
                .collect();
            let (label, sublabel) = match level {
                Some(i) => (capital(i.as_str()), format!("influence · {}", in_row.len())),
                None => ("Not rated".to_string(), format!("influence · {}", in_row.len())),
            };
            let row = Row {
                y,
                height,
                label,
                sublabel,
                cells,
            };
            y += height;
            row
        })
        .collect();
    let empty = m.targets.is_empty();
    let height = y + if empty { 110 } else { 60 };
    let support = m.targets.iter().filter(|t| t.stance.is_support()).count();
    MapSvg {
        width: WIDTH,
        height,
        title: format!("Power map · {}", truncate(&m.coalition_name, 40)),
        subtitle: format!(
            "{} targets · {support} supportive or better · stance across, influence down",
            m.targets.len()
        ),
        grid_top: GRID_TOP,
        columns,
        rows,
        empty_note: empty.then(|| "No targets yet: a lead adds one with /target add.".to_string()),
        footer: "Move them to the right: log each outreach and the stance you saw with /target log.".into(),
    }
    .render()
    .unwrap_or_default()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The grid as a PNG attachment, or `None` (logged) if it could not be drawn.
pub fn map_png(m: &TargetMap) -> Option<Attachment> {
    match png(&map_svg(m)) {
        Ok(bytes) => Some(Attachment::new("target-map.png", bytes)),
        Err(e) => {
            tracing::warn!(error = %e, "target map not drawn");
            None
        }
    }
}

/// `/target map` (ephemeral): the picture, with the counts in text for screen readers.
pub fn target_map(m: &TargetMap) -> Message {
    let counts: Vec<String> = Stance::ALL
        .iter()
        .map(|s| {
            let n = m.targets.iter().filter(|t| t.stance == *s).count();
            format!("{} {} {n}", s.emoji(), s.as_str())
        })
        .collect();
    let mut e = Embed::new(
        format!("Power map — {}", super::clip(&m.coalition_name, 100)),
        colors::INFO,
    )
    .description(counts.join(" · "))
    .footer(format!(
        "{} · /target list for details",
        plain_name(&m.coalition_name)
    ));
    let mut msg = Message::default();
    if let Some(file) = map_png(m) {
        e = e.image(file.url());
        msg = msg.attach(file);
    }
    msg.embeds.push(e);
    msg.ephemeral().fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CoalitionId, TargetId, UserId};

    fn target(i: i64, stance: Stance, influence: Option<Influence>) -> Target {
        Target {
            id: TargetId(i),
            coalition_id: CoalitionId(1),
            name: format!("Cllr <Name> {i}"),
            role: None,
            office: None,
            jurisdiction: None,
            stance,
            influence,
            created_by: UserId(1),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn decode(bytes: &[u8]) -> (u32, u32) {
        let reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("a PNG");
        let info = reader.info();
        (info.width, info.height)
    }

    #[test]
    fn forty_targets_are_all_named_in_their_cells() {
        let targets: Vec<Target> = (0..40)
            .map(|i| {
                let stance = Stance::ALL[(i % 5) as usize];
                let influence = [
                    Some(Influence::High),
                    Some(Influence::Medium),
                    Some(Influence::Low),
                    None,
                ][(i % 4) as usize];
                target(i, stance, influence)
            })
            .collect();
        let m = TargetMap {
            coalition_name: "Housing & <Justice>".into(),
            targets,
        };
        let svg = map_svg(&m);
        for i in 0..40 {
            assert!(
                svg.contains(&format!("Cllr &#60;Name&#62; {i}<")),
                "name {i} is drawn"
            );
        }
        assert!(svg.contains("Not rated") && svg.contains("40 targets · 16 supportive or better"));
        let file = map_png(&m).expect("drawn");
        let (w, h) = decode(&file.bytes);
        assert_eq!(w, WIDTH as u32);
        assert!(h > 400, "{h}");
        let msg = target_map(&m);
        assert!(msg.limit_violations().is_empty());
        assert_eq!(
            msg.embeds[0].image.as_deref(),
            Some("attachment://target-map.png")
        );
    }

    #[test]
    fn a_crowded_cell_says_how_many_more() {
        let targets: Vec<Target> = (0..20)
            .map(|i| target(i, Stance::Neutral, Some(Influence::High)))
            .collect();
        let svg = map_svg(&TargetMap {
            coalition_name: "C".into(),
            targets,
        });
        assert!(svg.contains("+ 8 more"));
        assert!(!svg.contains("Not rated"));
    }
}
