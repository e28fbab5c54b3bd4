//! Turns Backbone's neutral [`Message`] into serenity builders. The only place that knows how
//! our messages look on the wire; every builder sets `allowed_mentions` explicitly.

use poise::CreateReply;
use serenity::all::{
    ButtonStyle as SButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, EditMessage, UserId as SUserId,
};

use crate::domain::message::{ButtonStyle, Embed, Message};

/// Only the users a message names in `ping_users` may be pinged; never roles, @everyone or @here.
pub fn allowed_mentions(msg: &Message) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_roles(false)
        .all_users(false)
        .users(msg.ping_users.iter().map(|u| SUserId::new(u.0 as u64)))
        .replied_user(false)
}

/// The embeds of a message.
pub fn embeds(msg: &Message) -> Vec<CreateEmbed> {
    msg.embeds.iter().map(embed).collect()
}

fn embed(e: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new().color(e.color);
    if !e.title.is_empty() {
        out = out.title(&e.title);
    }
    if !e.description.is_empty() {
        out = out.description(&e.description);
    }
    for f in &e.fields {
        out = out.field(&f.name, &f.value, f.inline);
    }
    if !e.footer.is_empty() {
        out = out.footer(CreateEmbedFooter::new(&e.footer));
    }
    if let Some(url) = &e.image {
        out = out.image(url);
    }
    out
}

/// The message's files, uploaded as `files[n]` parts of a multipart request.
pub fn attachments(msg: &Message) -> Vec<CreateAttachment> {
    msg.attachments
        .iter()
        .map(|a| CreateAttachment::bytes(a.bytes.clone(), a.name.clone()))
        .collect()
}

/// Buttons laid out in action rows of five.
pub fn components(msg: &Message) -> Vec<CreateActionRow> {
    msg.buttons
        .chunks(5)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        CreateButton::new(&b.custom_id)
                            .label(&b.label)
                            .style(match b.style {
                                ButtonStyle::Primary => SButtonStyle::Primary,
                                ButtonStyle::Secondary => SButtonStyle::Secondary,
                                ButtonStyle::Success => SButtonStyle::Success,
                                ButtonStyle::Danger => SButtonStyle::Danger,
                            })
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Fills a serenity message builder from a fitted `msg`: content, embeds, buttons, mentions and
/// its files (through the builder's `$attach` method). An edit always sets the content (so it can
/// clear it); a new message only when there is some.
macro_rules! filled {
    ($builder:expr, $msg:expr, $attach:ident, edit) => {{
        let msg: &Message = $msg;
        filled!($builder.content(&msg.content), msg, $attach, new)
    }};
    ($builder:expr, $msg:expr, $attach:ident, new) => {{
        let msg: &Message = $msg;
        let mut out = $builder
            .embeds(embeds(msg))
            .components(components(msg))
            .allowed_mentions(allowed_mentions(msg));
        if !msg.content.is_empty() {
            out = out.content(&msg.content);
        }
        for a in attachments(msg) {
            out = out.$attach(a);
        }
        out
    }};
}

/// Whether an answer to an interaction must be seen by its invoker alone: when it says so, and
/// whenever its audience is above public — an answer in the channel would reach everyone there.
pub fn private(msg: &Message) -> bool {
    msg.ephemeral || msg.audience.is_private()
}

/// A channel or DM message.
pub fn create_message(msg: &Message) -> CreateMessage {
    filled!(CreateMessage::new(), &msg.clone().fit(), add_file, edit)
}

/// An edit of an existing message (a task card after a button click).
pub fn edit_message(msg: &Message) -> EditMessage {
    filled!(EditMessage::new(), &msg.clone().fit(), new_attachment, edit)
}

/// A reply to a slash command through poise (when no [`super::respond`] answers it).
pub fn reply(msg: &Message) -> CreateReply {
    let msg = msg.clone().fit();
    let mut out = CreateReply::default()
        .ephemeral(private(&msg))
        .components(components(&msg))
        .allowed_mentions(allowed_mentions(&msg));
    if !msg.content.is_empty() {
        out = out.content(&msg.content);
    }
    for e in embeds(&msg) {
        out = out.embed(e);
    }
    for a in attachments(&msg) {
        out = out.attachment(a);
    }
    out
}

/// A follow-up to an interaction already answered (e.g. a private note after a card update).
pub fn followup(msg: &Message) -> CreateInteractionResponseFollowup {
    let msg = msg.clone().fit();
    filled!(
        CreateInteractionResponseFollowup::new().ephemeral(private(&msg)),
        &msg,
        add_file,
        new
    )
}

/// The answer that replaces a deferred response's placeholder (or the message a deferred button
/// is on).
pub fn edit_response(msg: &Message) -> EditInteractionResponse {
    filled!(
        EditInteractionResponse::new(),
        &msg.clone().fit(),
        new_attachment,
        edit
    )
}

/// A reply to a button click or modal submission.
pub fn interaction_message(msg: &Message) -> CreateInteractionResponseMessage {
    let msg = msg.clone().fit();
    filled!(
        CreateInteractionResponseMessage::new().ephemeral(private(&msg)),
        &msg,
        add_file,
        new
    )
}
