//! The sample coalition of the demo: three partner organizations, six people, two goals, a
//! deadline and the first tasks — and the pools of words the simulated people answer with.

use crate::domain::{ChannelId, GuildId, UserId};

/// The demo's Discord server and home channel.
pub const GUILD: GuildId = GuildId(7_000);
pub const HOME: ChannelId = ChannelId(7_100);
pub const HOME_NAME: &str = "food-coalition";
pub const COALITION: &str = "Riverside Food Coalition";
pub const TIMEZONE: &str = "America/New_York";

/// The partner organizations.
pub const ORGS: [&str; 3] = ["Eastside Pantry", "Green Streets", "Youth Works"];

/// A simulated person.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub id: UserId,
    pub name: &'static str,
    pub lead: bool,
    /// Index into [`ORGS`].
    pub org: usize,
}

/// Dana creates the coalition (she has Manage Server); Sam is the second lead.
pub const PEOPLE: [Person; 6] = [
    Person {
        id: UserId(701),
        name: "Dana",
        lead: true,
        org: 0,
    },
    Person {
        id: UserId(702),
        name: "Sam",
        lead: true,
        org: 1,
    },
    Person {
        id: UserId(703),
        name: "Priya",
        lead: false,
        org: 0,
    },
    Person {
        id: UserId(704),
        name: "Marcus",
        lead: false,
        org: 1,
    },
    Person {
        id: UserId(705),
        name: "Lena",
        lead: false,
        org: 2,
    },
    Person {
        id: UserId(706),
        name: "Tomás",
        lead: false,
        org: 2,
    },
];

/// The admin who creates the coalition.
pub const ADMIN: Person = PEOPLE[0];

/// A goal: title, metric, unit, target, due (in the coalition's words).
pub const GOALS: [(&str, &str, &str, f64, &str); 2] = [
    (
        "Serve 5,000 meals this spring",
        "meals served",
        "meals",
        5000.0,
        "in 8 weeks",
    ),
    (
        "Recruit 60 volunteers",
        "volunteers signed up",
        "people",
        60.0,
        "in 6 weeks",
    ),
];

/// Tasks: title, and the goal number it serves (0 = none).
pub const TASKS: [(&str, i64); 10] = [
    ("Book the church hall for the food drive", 1),
    ("Draft the volunteer sign-up form", 2),
    ("Call the grocery partners about surplus pickup", 1),
    ("Design the food drive flyer", 0),
    ("Update the shared pantry inventory sheet", 1),
    ("Recruit drivers for Saturday deliveries", 2),
    ("Collect meal counts from every partner pantry", 1),
    ("Write the grant report narrative", 0),
    ("Arrange cold storage for donated produce", 1),
    ("Post the food drive in neighborhood groups", 2),
];

/// Why a task gets blocked.
pub const BLOCKERS: [&str; 5] = [
    "Waiting on the church office to confirm the date",
    "No van available until the rental is approved",
    "Need the budget figures from the treasurer",
    "The printer quote is twice what we planned",
    "Two partner pantries have not sent their numbers",
];

/// Wins: text, goal number, amount.
pub const WINS: [(&str, i64, f64); 6] = [
    ("Served 420 hot meals at the Eastside pantry", 1, 420.0),
    ("12 new volunteers signed up at the school fair", 2, 12.0),
    ("Green Streets rescued 300 meals' worth of produce", 1, 300.0),
    ("Youth Works ran its first delivery route: 85 meals", 1, 85.0),
    ("7 drivers joined the Saturday rota", 2, 7.0),
    ("Local radio covered the food drive", 0, 0.0),
];

/// Check-in answers: what got done.
pub const DONE: [&str; 5] = [
    "Called two grocery partners, both said yes to weekly pickups",
    "Sorted the donated produce and updated the inventory",
    "Met the church office about the hall",
    "Onboarded three new volunteers",
    "Drafted the flyer text",
];

/// Check-in answers: what comes next.
pub const NEXT: [&str; 5] = [
    "Confirm pickup times with the partners",
    "Print and hand out the flyers",
    "Plan the Saturday delivery routes",
    "Send meal counts to Dana for the report",
    "Train the new volunteers on the intake form",
];

/// Check-in answers: blockers.
pub const CHECKIN_BLOCKERS: [&str; 3] = [
    "Still no key to the storage room",
    "The sign-up form keeps losing entries",
    "Need a second driver for Saturday",
];
