//! The optional breakdown of `benches/commands.rs`: a tracing layer that times the spans of
//! `backbone::telemetry::phase` — each `command` span and the `scope`, `sql`, `render` and `http`
//! spans inside it — and keeps one [`Record`] per command run, by interaction id.
//!
//! A phase's time is its own: a phase nested in another counts for the inner one only. The
//! command's first `http` span is its answer; the phases that end after it (remembering a card,
//! refreshing a posted one) are kept apart, as they are not part of the time to answer. Phases
//! outside any command (the scheduler sending the DMs a command queued) are not recorded.
//!
//! The layer is off until [`Phases::start`]: until then its filter turns the phase spans away, so
//! the timed run pays only the check of a disabled span.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use backbone::telemetry::phase;

/// One command run, as its spans saw it.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The command's name (`task assign`; `ping` for the bare bot).
    pub name: String,
    /// When its `command` span began.
    pub began: Option<Instant>,
    /// When its answer's `http` span began.
    pub answer_began: Option<Instant>,
    /// Own time per phase before the answer's request.
    pub before: HashMap<&'static str, Duration>,
    /// Own time of the phases that ended after the answer.
    pub after: Duration,
}

/// The records by interaction id, shared by the layer and the bench.
#[derive(Clone, Default)]
pub struct Phases {
    on: Arc<AtomicBool>,
    records: Arc<Mutex<HashMap<u64, Record>>>,
}

impl Phases {
    /// The layer to install (with its filter) in the global subscriber.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        PhaseLayer(self.clone()).with_filter(OnlyPhases(self.on.clone()))
    }

    /// Starts recording (from nothing).
    pub fn start(&self) {
        self.records.lock().unwrap().clear();
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns the records of the commands that finished, by interaction id.
    pub fn stop(&self) -> HashMap<u64, Record> {
        self.on.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.records.lock().unwrap())
    }
}

/// Lets through only the phase and command spans, and only while recording.
struct OnlyPhases(Arc<AtomicBool>);

fn is_phase_callsite(meta: &Metadata<'_>) -> bool {
    meta.is_span() && meta.target() == phase::TARGET
}

impl<S> Filter<S> for OnlyPhases {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_phase_callsite(meta) && self.0.load(Ordering::Relaxed)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        // Asked again each time for ours (it depends on `on`), never for anything else.
        if is_phase_callsite(meta) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::DEBUG)
    }
}

struct PhaseLayer(Phases);

/// On a phase span: which, when it began, and the time of the phases nested in it.
struct Timing {
    phase: &'static str,
    began: Instant,
    nested: Duration,
}

/// On a command span: its record so far.
struct Running {
    interaction: u64,
    record: Record,
}

#[derive(Default)]
struct CommandFields {
    name: String,
    interaction: u64,
}

impl Visit for CommandFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "interaction" {
            self.interaction = value;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "command" {
            self.name = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "command" {
            self.name = format!("{value:?}");
        }
    }
}

impl<S> Layer<S> for PhaseLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let now = Instant::now();
        let name = attrs.metadata().name();
        if name == phase::COMMAND {
            let mut fields = CommandFields::default();
            attrs.record(&mut fields);
            span.extensions_mut().insert(Running {
                interaction: fields.interaction,
                record: Record {
                    name: fields.name,
                    began: Some(now),
                    ..Record::default()
                },
            });
            return;
        }
        let Some(phase) = phase::NAMES.iter().find(|p| **p == name) else {
            return;
        };
        span.extensions_mut().insert(Timing {
            phase,
            began: now,
            nested: Duration::ZERO,
        });
        if *phase == "http" {
            for parent in span.scope().skip(1) {
                if let Some(c) = parent.extensions_mut().get_mut::<Running>() {
                    c.record.answer_began.get_or_insert(now);
                    break;
                }
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if let Some(done) = span.extensions_mut().remove::<Running>() {
            self.0
                .records
                .lock()
                .unwrap()
                .insert(done.interaction, done.record);
            return;
        }
        let Some((phase, began, nested)) = span
            .extensions()
            .get::<Timing>()
            .map(|t| (t.phase, t.began, t.nested))
        else {
            return;
        };
        let took = began.elapsed();
        let own = took.saturating_sub(nested);
        let mut outer_seen = false;
        for parent in span.scope().skip(1) {
            let mut ext = parent.extensions_mut();
            if !outer_seen && let Some(outer) = ext.get_mut::<Timing>() {
                outer.nested += took;
                outer_seen = true;
            }
            if let Some(c) = ext.get_mut::<Running>() {
                // Before the answer: began before the answer's request did (the answer itself
                // included).
                match c.record.answer_began {
                    Some(answer) if began > answer => c.record.after += own,
                    _ => *c.record.before.entry(phase).or_default() += own,
                }
                break;
            }
        }
    }
}
