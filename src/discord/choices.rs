//! Choice options whose values are the names COMMANDS.md gives (`in_progress`, `csv`, `lead`).
//! poise's own `ChoiceParameter` registers integer values (0, 1, …); tooling that drives the bot
//! and Discord clients should see the same strings users do.

use poise::serenity_prelude as serenity;

/// Declares an enum that registers as a STRING option with fixed choices and parses them back.
macro_rules! string_choice {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in the order Discord shows them.
            pub const VALUES: &'static [&'static str] = &[$($value),+];

            /// The value Discord sends.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value),+
                }
            }

            /// Reads a value Discord sent.
            pub fn from_value(v: &str) -> Option<Self> {
                match v {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        #[async_trait::async_trait]
        impl poise::SlashArgument for $name {
            async fn extract(
                _: &serenity::Context,
                _: &serenity::CommandInteraction,
                value: &serenity::ResolvedValue<'_>,
            ) -> Result<Self, poise::SlashArgError> {
                match value {
                    serenity::ResolvedValue::String(s) => Self::from_value(s).ok_or_else(|| {
                        poise::SlashArgError::new_parse(
                            format!("choose one of: {}", Self::VALUES.join(", ")).into(),
                            s.to_string(),
                        )
                    }),
                    _ => Err(poise::SlashArgError::new_command_structure_mismatch("expected a string choice")),
                }
            }

            fn create(builder: serenity::CreateCommandOption) -> serenity::CreateCommandOption {
                let mut b = builder.kind(serenity::CommandOptionType::String);
                $(b = b.add_string_choice($value, $value);)+
                b
            }
        }
    };
}

string_choice! {
    /// A task status, as `/task update` and `/task list` offer it.
    StatusChoice { Open => "open", InProgress => "in_progress", Blocked => "blocked", Done => "done" }
}

string_choice! {
    /// A task status to list by, as `/task list` offers it: the statuses plus `cancelled`.
    ListStatusChoice {
        Open => "open",
        InProgress => "in_progress",
        Blocked => "blocked",
        Done => "done",
        Cancelled => "cancelled",
    }
}

string_choice! {
    /// How a goal ends, as `/goal close` offers it.
    OutcomeChoice { Achieved => "achieved", Dropped => "dropped" }
}

string_choice! {
    /// The `format` option of `/export`.
    FormatChoice { Csv => "csv", Json => "json" }
}

string_choice! {
    /// A member's role, as `/member add` offers it.
    RoleChoice { Lead => "lead", Member => "member" }
}

string_choice! {
    /// How check-in answers are shown, as `/checkin settings report` offers it.
    ReportChoice { Thread => "thread", Summary => "summary", Leads => "leads" }
}

string_choice! {
    /// The `dms` option of `/me settings`.
    DmsChoice { All => "all", PingsOnly => "pings_only", None => "none" }
}

string_choice! {
    /// A target's stance, as `/target add|log|list|edit` offer it.
    StanceChoice {
        Champion => "champion",
        Supportive => "supportive",
        Neutral => "neutral",
        Opposed => "opposed",
        Hostile => "hostile",
    }
}

string_choice! {
    /// A target's influence, as `/target add|list|edit` offer it.
    InfluenceChoice { High => "high", Medium => "medium", Low => "low" }
}

string_choice! {
    /// The kind of an outreach, as `/target log` offers it.
    OutreachKindChoice {
        Meeting => "meeting",
        Call => "call",
        Email => "email",
        Letter => "letter",
        Testimony => "testimony",
        Event => "event",
        Other => "other",
    }
}
