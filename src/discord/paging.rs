//! Page buttons (`page:<list>:<owner>:<filters>:<page>`): redraw the clicked list at another page,
//! in place. Stateless — everything comes from the custom id — so old lists page after a restart.

use poise::serenity_prelude as serenity;
use serenity::ComponentInteraction;

use super::{Data, interaction, respond};
use crate::actions::pages;
use crate::domain::paging::PageKey;
use crate::error::{Error, Result};
use crate::render::paging::list_page;

/// Whether a custom id is a page button's.
pub fn is_page_button(custom_id: &str) -> bool {
    custom_id.starts_with(PageKey::PREFIX)
}

/// Handles a page button: the same list, another page, replacing the clicked message.
pub async fn on_page(_ctx: &serenity::Context, data: &Data, c: &ComponentInteraction) -> Result<()> {
    let key = PageKey::parse(&c.data.custom_id).ok_or_else(|| {
        Error::user("These page buttons are from an older version of Backbone — run the list command again.")
    })?;
    let actor = interaction::component_actor(c)?;
    let page = pages::turn(&data.store, &actor, data.now(), &key).await?;
    let msg = list_page(&page);
    respond::current()?.update(&msg).await
}
