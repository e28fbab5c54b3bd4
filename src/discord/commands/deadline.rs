//! (being written)

use crate::discord::Command;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![]
}
