//! What the handlers of buttons and modals share: who acted, a submitted field's value, and the
//! parts of a custom id. A leaf: the router (`components`) and the command groups both import
//! it, and it imports neither.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, ModalInteraction};

use crate::actions::Actor;
use crate::error::Result;

/// Splits `group:action:id` into its parts.
pub fn parse_custom_id(id: &str) -> Option<(&str, &str, i64)> {
    let mut parts = id.splitn(3, ':');
    let group = parts.next()?;
    let action = parts.next()?;
    let row = parts.next()?.parse().ok()?;
    Some((group, action, row))
}

/// The user who clicked or submitted.
pub fn component_actor(c: &ComponentInteraction) -> Result<Actor> {
    super::actor_from(c.guild_id, c.member.as_ref(), &c.user, c.channel_id)
}

/// The user who submitted a modal.
pub fn modal_actor(m: &ModalInteraction) -> Result<Actor> {
    super::actor_from(m.guild_id, m.member.as_ref(), &m.user, m.channel_id)
}

/// The value of a text input in a submitted modal.
pub fn modal_value(m: &ModalInteraction, custom_id: &str) -> String {
    m.data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .find_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) if t.custom_id == custom_id => t.value.clone(),
            _ => None,
        })
        .unwrap_or_default()
}
