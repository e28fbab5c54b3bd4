//! Stateless pages of a list. A page button's custom id carries everything needed to draw that
//! page again — which list, who may page it, the list's filters and the page number — so paging
//! keeps working after a restart and needs no server-side state:
//! `page:<list>:<owner>:<filters>:<page>`, at most 100 characters.

use super::ids::UserId;
use super::message::limits;

/// A page of a list: 1-based `number`, `size` rows per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

impl Page {
    /// Page `number` (0 counts as 1) of `size` rows each.
    pub fn new(number: u32, size: u32) -> Page {
        Page {
            number: number.max(1),
            size: size.max(1),
        }
    }

    /// How many pages `total` rows fill (at least one, so an empty list is "page 1 of 1").
    pub fn count(&self, total: i64) -> u32 {
        let total = total.max(0) as u64;
        total.div_ceil(self.size as u64).max(1).min(u32::MAX as u64) as u32
    }

    /// The same page, moved back to the last page when the list has shrunk since the button was
    /// drawn (a task closed, say).
    pub fn within(self, total: i64) -> Page {
        Page {
            number: self.number.min(self.count(total)),
            ..self
        }
    }

    /// Rows to skip in a query.
    pub fn offset(&self) -> i64 {
        (self.number as i64 - 1) * self.size as i64
    }

    /// Rows to fetch in a query.
    pub fn limit(&self) -> i64 {
        self.size as i64
    }

    /// This page's rows of an already loaded list.
    pub fn slice<'a, T>(&self, rows: &'a [T]) -> &'a [T] {
        let start = (self.offset() as usize).min(rows.len());
        let end = (start + self.size as usize).min(rows.len());
        &rows[start..end]
    }
}

/// Where a list stands: the page shown and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Paged {
    pub page: Page,
    /// Rows in the whole list.
    pub total: i64,
}

impl Paged {
    /// `page` of a list of `total` rows, moved back within the list if it shrank.
    pub fn new(page: Page, total: i64) -> Paged {
        Paged {
            page: page.within(total),
            total: total.max(0),
        }
    }

    /// How many pages there are.
    pub fn pages(&self) -> u32 {
        self.page.count(self.total)
    }

    /// "page 2 of 7".
    pub fn label(&self) -> String {
        format!("page {} of {}", self.page.number, self.pages())
    }
}

/// The filters of a list, as short `<letter><value>` pairs joined by `.` (`c12.a4411.sopen`).
/// Values are ids, numbers and status names: never `:` or `.`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(Vec<(char, String)>);

impl Filters {
    /// No filters.
    pub fn new() -> Filters {
        Filters::default()
    }

    /// Adds filter `key` with `value` (nothing when `value` is `None`).
    pub fn with(mut self, key: char, value: Option<impl ToString>) -> Filters {
        if let Some(v) = value {
            let v = v.to_string();
            debug_assert!(
                !v.contains([':', '.']),
                "filter values are ids and names without : or ."
            );
            self.0.push((key, v.replace([':', '.'], "")));
        }
        self
    }

    /// The value of filter `key`.
    pub fn get(&self, key: char) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }

    /// The value of filter `key` as a number.
    pub fn number(&self, key: char) -> Option<i64> {
        self.get(key).and_then(|v| v.parse().ok())
    }

    fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}{v}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn decode(s: &str) -> Option<Filters> {
        if s.is_empty() {
            return Some(Filters::new());
        }
        s.split('.')
            .map(|part| {
                let mut chars = part.chars();
                let key = chars.next()?;
                key.is_ascii_alphabetic()
                    .then(|| (key, chars.as_str().to_string()))
            })
            .collect::<Option<Vec<_>>>()
            .map(Filters)
    }
}

/// What a page button carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    /// Which list (`tasks`, `mine`, `goals`, …): short, lowercase, no `:`.
    pub list: String,
    /// Who ran the command: only they may page it.
    pub owner: UserId,
    pub filters: Filters,
    pub page: u32,
}

impl PageKey {
    /// The custom id prefix of every page button.
    pub const PREFIX: &'static str = "page:";

    /// A key for `list`, run by `owner`, with `filters`, at page 1.
    pub fn new(list: &str, owner: UserId, filters: Filters) -> PageKey {
        PageKey {
            list: list.to_string(),
            owner,
            filters,
            page: 1,
        }
    }

    /// The same list at `page`.
    pub fn at(&self, page: u32) -> PageKey {
        PageKey { page, ..self.clone() }
    }

    /// The button's custom id; `None` if it would pass Discord's 100 characters (the list then
    /// shows its first page without buttons rather than a button that can't work).
    pub fn custom_id(&self) -> Option<String> {
        let id = format!(
            "{}{}:{}:{}:{}",
            Self::PREFIX,
            self.list,
            self.owner.0,
            self.filters.encode(),
            self.page
        );
        (id.len() <= limits::CUSTOM_ID).then_some(id)
    }

    /// Reads a page button's custom id.
    pub fn parse(id: &str) -> Option<PageKey> {
        let rest = id.strip_prefix(Self::PREFIX)?;
        let mut parts = rest.split(':');
        let list = parts.next().filter(|l| !l.is_empty())?.to_string();
        let owner = UserId(parts.next()?.parse().ok()?);
        let filters = Filters::decode(parts.next()?)?;
        let page = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(PageKey {
            list,
            owner,
            filters,
            page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_id_round_trips_with_every_filter() {
        let key = PageKey::new(
            "tasks",
            UserId(1_234_567_890_123_456_789),
            Filters::new()
                .with('c', Some(12))
                .with('a', Some(987_654_321_098_765_432_i64))
                .with('s', Some("in_progress"))
                .with('o', Some(7))
                .with('x', None::<i64>),
        )
        .at(3);
        let id = key.custom_id().expect("fits");
        assert!(id.len() <= 100, "{id}");
        assert_eq!(PageKey::parse(&id), Some(key.clone()));
        assert_eq!(key.filters.number('a'), Some(987_654_321_098_765_432));
        assert_eq!(key.filters.get('s'), Some("in_progress"));
        assert_eq!(key.filters.get('x'), None);
    }

    #[test]
    fn foreign_or_broken_ids_are_not_page_keys() {
        for id in [
            "task:done:4",
            "page:",
            "page:tasks:x::1",
            "page:tasks:1:c1:x",
            "page:tasks:1:c1:2:9",
        ] {
            assert_eq!(PageKey::parse(id), None, "{id}");
        }
        let empty = PageKey::parse("page:orgs:5::2").expect("no filters is fine");
        assert_eq!(empty.filters, Filters::new());
        assert_eq!(empty.page, 2);
    }

    #[test]
    fn pages_count_and_clamp() {
        let p = Page::new(3, 20);
        assert_eq!(p.count(0), 1);
        assert_eq!(p.count(60), 3);
        assert_eq!(p.count(61), 4);
        assert_eq!(p.offset(), 40);
        assert_eq!(p.within(25).number, 2, "a shrunk list shows its last page");
        let paged = Paged::new(p, 61);
        assert_eq!(paged.label(), "page 3 of 4");
        let rows: Vec<i32> = (0..45).collect();
        assert_eq!(p.slice(&rows), &rows[40..45]);
        assert!(Page::new(9, 20).slice(&rows).is_empty());
    }
}
