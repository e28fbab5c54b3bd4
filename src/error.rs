//! One error type for the whole crate: user errors are shown to the user who can fix them,
//! internal errors are logged with a short reference the user can quote.

/// Shorthand for results in Backbone.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the user can fix: the message says how. Nothing was changed.
    #[error("{0}")]
    User(String),
    /// Something the user cannot fix (database, I/O, Discord). Logged, never shown verbatim.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A user error with the given message.
    pub fn user(msg: impl Into<String>) -> Self {
        Error::User(msg.into())
    }

    /// An internal error with the given description.
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        Error::Internal(msg.to_string())
    }

    /// Whether this error is the user's to fix.
    pub fn is_user(&self) -> bool {
        matches!(self, Error::User(_))
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(format!("database: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Internal(format!("migration: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("io: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("json: {e}"))
    }
}
