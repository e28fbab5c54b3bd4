//! The store's shared SQL rules, one spelling each, as `concat!`-able fragments. Declared first in
//! `store/mod.rs`, so every store module sees them.

/// A task that still needs doing: neither done nor cancelled. Spelled to match the partial index
/// `tasks_live_due`, which yields these tasks in due-date order. `live_task!("t")` for a table
/// aliased `t`.
macro_rules! live_task {
    ($t:literal) => {
        concat!($t, ".status <> 'done' AND ", $t, ".status <> 'cancelled'")
    };
}

/// A member's name, with a fallback for people who have left or never gave one:
/// `member_name!("m", "w.user_id")` for members aliased `m` joined on the user column `w.user_id`.
macro_rules! member_name {
    ($m:literal, $user:literal) => {
        concat!(
            "COALESCE(NULLIF(",
            $m,
            ".display_name, ''), 'user ' || ",
            $user,
            ")"
        )
    };
}

/// The tasks of coalition `?1` that were unfinished and past their due date at the instant `?2`
/// (now, or the end of a past period): live, or done or cancelled only after `?2`; created by
/// then. Three index ranges rather than one `OR`, which would scan every task of the coalition.
/// Selects `$cols` of `tasks t`, then `$tail` after each of the three parts (a `GROUP BY`, so
/// each part groups in its own index's order: `tasks_live_org` holds the live tasks by
/// organization and assignee, which spares a sort of every overdue task).
macro_rules! overdue_at {
    ($cols:literal) => {
        overdue_at!($cols, "")
    };
    ($cols:literal, $tail:literal) => {
        concat!(
            "SELECT ",
            $cols,
            " FROM tasks t WHERE t.coalition_id = ?1 AND ",
            live_task!("t"),
            " AND t.due_at < ?2 AND t.created_at <= ?2 ",
            $tail,
            " UNION ALL
             SELECT ",
            $cols,
            " FROM tasks t WHERE t.coalition_id = ?1 AND t.status = 'done'
               AND t.completed_at > ?2 AND t.due_at < ?2 AND t.created_at <= ?2 ",
            $tail,
            " UNION ALL
             SELECT ",
            $cols,
            " FROM tasks t WHERE t.coalition_id = ?1 AND t.status = 'cancelled'
               AND t.cancelled_at > ?2 AND t.due_at < ?2 AND t.created_at <= ?2 ",
            $tail
        )
    };
}
