//! Discord's permission algorithm for one member in one channel
//! (https://discord.com/developers/docs/topics/permissions): the guild owner has everything;
//! otherwise @everyone's permissions plus the member's roles', everything with Administrator; then
//! the channel's overwrites for @everyone, then for the member's roles (all denies, then all
//! allows), then for the member; finally the implicit rules (no View Channel → nothing; no Send
//! Messages → no embeds, attachments or mentions of everyone).

/// Permission bits Backbone cares about.
pub mod bits {
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const SEND_TTS_MESSAGES: u64 = 1 << 12;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    pub const MANAGE_EVENTS: u64 = 1 << 33;
    pub const CREATE_EVENTS: u64 = 1 << 44;
    pub const ALL: u64 = u64::MAX;
}

/// What Backbone needs in a coalition's home channel, with the names Discord shows.
pub const HOME_CHANNEL_NEEDS: [(u64, &str); 6] = [
    (bits::VIEW_CHANNEL, "View Channel"),
    (bits::SEND_MESSAGES, "Send Messages"),
    (bits::EMBED_LINKS, "Embed Links"),
    (bits::ATTACH_FILES, "Attach Files"),
    (bits::CREATE_PUBLIC_THREADS, "Create Public Threads"),
    (bits::SEND_MESSAGES_IN_THREADS, "Send Messages in Threads"),
];

/// Who a channel overwrite applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverwriteFor {
    /// A role (the @everyone role has the guild's id).
    Role(u64),
    Member(u64),
}

/// A channel permission overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overwrite {
    pub target: OverwriteFor,
    pub allow: u64,
    pub deny: u64,
}

/// The guild side of the computation.
#[derive(Debug, Clone, Default)]
pub struct GuildPerms {
    pub guild_id: u64,
    pub owner_id: u64,
    /// Every role's id and permissions (including @everyone, whose id is the guild's).
    pub roles: Vec<(u64, u64)>,
}

impl GuildPerms {
    fn role(&self, id: u64) -> u64 {
        self.roles.iter().find(|(r, _)| *r == id).map_or(0, |(_, p)| *p)
    }

    /// The member's guild-wide permissions.
    pub fn base(&self, user: u64, member_roles: &[u64]) -> u64 {
        if user == self.owner_id {
            return bits::ALL;
        }
        let perms = member_roles
            .iter()
            .fold(self.role(self.guild_id), |p, r| p | self.role(*r));
        if perms & bits::ADMINISTRATOR != 0 {
            bits::ALL
        } else {
            perms
        }
    }

    /// The member's permissions in a channel with `overwrites`.
    pub fn in_channel(&self, user: u64, member_roles: &[u64], overwrites: &[Overwrite]) -> u64 {
        let base = self.base(user, member_roles);
        if base == bits::ALL {
            return bits::ALL;
        }
        let mut p = base;
        if let Some(o) = overwrites
            .iter()
            .find(|o| o.target == OverwriteFor::Role(self.guild_id))
        {
            p = (p & !o.deny) | o.allow;
        }
        let (mut allow, mut deny) = (0, 0);
        for o in overwrites {
            if let OverwriteFor::Role(r) = o.target
                && r != self.guild_id
                && member_roles.contains(&r)
            {
                allow |= o.allow;
                deny |= o.deny;
            }
        }
        p = (p & !deny) | allow;
        if let Some(o) = overwrites.iter().find(|o| o.target == OverwriteFor::Member(user)) {
            p = (p & !o.deny) | o.allow;
        }
        if p & bits::VIEW_CHANNEL == 0 {
            return 0;
        }
        if p & bits::SEND_MESSAGES == 0 {
            p &= !(bits::SEND_TTS_MESSAGES | bits::MENTION_EVERYONE | bits::EMBED_LINKS | bits::ATTACH_FILES);
        }
        p
    }
}

/// What Backbone needs server-wide, with the names Discord shows: only Create Events (meetings'
/// Discord events; Manage Events covers it too).
pub fn missing_in_server(perms: u64) -> Vec<&'static str> {
    if perms & (bits::CREATE_EVENTS | bits::MANAGE_EVENTS) == 0 {
        vec!["Create Events"]
    } else {
        Vec::new()
    }
}

/// The names of what `perms` lacks of the home channel's needs.
pub fn missing_in_home(perms: u64) -> Vec<&'static str> {
    HOME_CHANNEL_NEEDS
        .iter()
        .filter(|(bit, _)| perms & bit == 0)
        .map(|(_, name)| *name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::bits::*;
    use super::*;

    const G: u64 = 100;
    const BOT: u64 = 7;
    const ROLE: u64 = 200;
    const NEEDS: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS;

    fn guild(everyone: u64, role: u64) -> GuildPerms {
        GuildPerms {
            guild_id: G,
            owner_id: 1,
            roles: vec![(G, everyone), (ROLE, role)],
        }
    }

    fn ow(target: OverwriteFor, allow: u64, deny: u64) -> Overwrite {
        Overwrite { target, allow, deny }
    }

    #[test]
    fn roles_add_up_and_administrator_or_owner_has_everything() {
        let g = guild(VIEW_CHANNEL, SEND_MESSAGES);
        assert_eq!(g.base(BOT, &[]), VIEW_CHANNEL);
        assert_eq!(g.base(BOT, &[ROLE]), VIEW_CHANNEL | SEND_MESSAGES);
        let admin = guild(0, ADMINISTRATOR);
        let deny_all = [ow(OverwriteFor::Member(BOT), 0, ALL)];
        assert_eq!(admin.in_channel(BOT, &[ROLE], &deny_all), ALL);
        assert_eq!(g.in_channel(1, &[], &deny_all), ALL, "the owner");
    }

    #[test]
    fn overwrites_apply_everyone_then_roles_then_member() {
        let g = guild(NEEDS, 0);
        let everyone_denies_send = ow(OverwriteFor::Role(G), 0, SEND_MESSAGES);
        let role_allows_send = ow(OverwriteFor::Role(ROLE), SEND_MESSAGES, 0);
        let member_denies_send = ow(OverwriteFor::Member(BOT), 0, SEND_MESSAGES);
        let p = g.in_channel(BOT, &[], &[everyone_denies_send]);
        assert_eq!(
            missing_in_home(p),
            ["Send Messages", "Embed Links", "Attach Files"]
        );
        let p = g.in_channel(BOT, &[ROLE], &[everyone_denies_send, role_allows_send]);
        assert_eq!(missing_in_home(p), Vec::<&str>::new());
        let p = g.in_channel(BOT, &[ROLE], &[role_allows_send, member_denies_send]);
        assert!(missing_in_home(p).contains(&"Send Messages"));
        // A role's allow wins over another role's deny.
        let p = guild(NEEDS, 0).in_channel(
            BOT,
            &[ROLE, 300],
            &[
                ow(OverwriteFor::Role(300), 0, EMBED_LINKS),
                ow(OverwriteFor::Role(ROLE), EMBED_LINKS, 0),
            ],
        );
        assert_eq!(p & EMBED_LINKS, EMBED_LINKS);
    }

    #[test]
    fn without_view_channel_nothing_is_allowed() {
        let g = guild(NEEDS, 0);
        let p = g.in_channel(BOT, &[], &[ow(OverwriteFor::Role(G), 0, VIEW_CHANNEL)]);
        assert_eq!(p, 0);
        assert_eq!(missing_in_home(p).len(), 6);
    }

    #[test]
    fn meetings_need_create_events_in_the_server() {
        assert_eq!(super::missing_in_server(VIEW_CHANNEL), ["Create Events"]);
        assert!(super::missing_in_server(CREATE_EVENTS).is_empty());
        assert!(super::missing_in_server(MANAGE_EVENTS).is_empty());
    }
}
