//! Pure types and rules: no I/O, no clock. Everything here is a plain function of its inputs.

pub mod audience;
pub mod checkin;
pub mod digest;
pub mod hours;
pub mod ids;
pub mod meeting;
pub mod message;
pub mod model;
pub mod paging;
pub mod permissions;
pub mod pings;
pub mod repeat;
pub mod report;
pub mod schedule;
pub mod series;
pub mod targets;
pub mod text;
pub mod when;

pub use audience::{Audience, Place, Reader};
pub use ids::*;
pub use model::*;
