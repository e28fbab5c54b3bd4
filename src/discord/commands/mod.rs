//! Every slash command, one file per command group. Names follow ../shared/COMMANDS.md exactly.

use super::Command;

pub mod checkin;
pub mod checkin_admin;
pub mod coalition;
pub mod deadline;
pub mod digest;
pub mod export;
pub mod feedback;
pub mod goal;
pub mod help;
pub mod me;
pub mod meeting;
pub mod member;
pub mod org;
pub mod report;
pub mod resource;
pub mod role;
pub mod target;
pub mod task;
pub mod win;

/// All of Backbone's commands, as registered with Discord.
pub fn all() -> Vec<Command> {
    [
        coalition::all(),
        org::all(),
        member::all(),
        role::all(),
        goal::all(),
        task::all(),
        deadline::all(),
        win::all(),
        checkin::all(),
        digest::all(),
        export::all(),
        report::all(),
        me::all(),
        feedback::all(),
        target::all(),
        resource::all(),
        meeting::all(),
        help::all(),
    ]
    .into_iter()
    .flatten()
    .map(|mut c| {
        // Every command answers within Discord's 3 seconds (see `respond`).
        super::respond::wrap(&mut c);
        c
    })
    .collect()
}
