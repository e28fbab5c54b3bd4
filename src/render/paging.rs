//! ◀ ▶ buttons and "page 2 of 7" on any list (see [`crate::domain::paging`]).

use crate::actions::pages::ListPage;
use crate::domain::message::{Button, ButtonStyle, Message};
use crate::domain::paging::{PageKey, Paged};

/// Any list's page, as its command draws it.
pub fn list_page(page: &ListPage) -> Message {
    match page {
        ListPage::Tasks(l) => super::tasks::task_list(l, false),
        ListPage::Mine(l) => super::tasks::task_list(l, true),
        ListPage::Wins(l) => super::wins::win_list(l),
        ListPage::Goals(s) => paginate(super::goals::goal_list(&s.list), &s.key, &s.paged),
        ListPage::Deadlines(s) => paginate(super::goals::deadline_list(&s.list), &s.key, &s.paged),
        ListPage::Members(s) => paginate(super::people::member_list(&s.list), &s.key, &s.paged),
        ListPage::Orgs(s) => paginate(super::people::org_list(&s.list), &s.key, &s.paged),
        ListPage::Roles(s) => paginate(super::people::role_list(&s.list), &s.key, &s.paged),
        ListPage::Targets(l) => super::targets::target_list(l),
        ListPage::Resources(l) => super::resources::resource_list(l),
    }
}

/// Adds the page buttons and "page N of M" to a rendered list. One page needs neither; the first
/// page has no ◀ and the last no ▶, so every button leads somewhere.
pub fn paginate(mut msg: Message, key: &PageKey, paged: &Paged) -> Message {
    let pages = paged.pages();
    if pages <= 1 {
        return msg;
    }
    let n = paged.page.number;
    let label = paged.label();
    match msg.embeds.first_mut() {
        Some(e) if e.footer.is_empty() => e.footer = label,
        Some(e) => e.footer = format!("{} · {label}", e.footer),
        None => msg.content = format!("{}\n-# {label}", msg.content),
    }
    if n > 1
        && let Some(id) = key.at(n - 1).custom_id()
    {
        msg.buttons.push(page_button(id, "◀"));
    }
    if n < pages
        && let Some(id) = key.at(n + 1).custom_id()
    {
        msg.buttons.push(page_button(id, "▶"));
    }
    msg
}

fn page_button(custom_id: String, label: &str) -> Button {
    Button {
        custom_id,
        label: label.into(),
        style: ButtonStyle::Secondary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use crate::domain::message::Embed;
    use crate::domain::paging::{Filters, Page};

    fn list() -> Message {
        Message::embed(Embed::new("Open tasks", 0).footer("60 tasks")).ephemeral()
    }

    #[test]
    fn middle_pages_go_both_ways_and_say_where_they_are() {
        let key = PageKey::new("tasks", UserId(7), Filters::new().with('c', Some(1)));
        let m = paginate(list(), &key, &Paged::new(Page::new(2, 20), 60));
        assert_eq!(m.embeds[0].footer, "60 tasks · page 2 of 3");
        let ids: Vec<&str> = m.buttons.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(ids, ["page:tasks:7:c1:1", "page:tasks:7:c1:3"]);
    }

    #[test]
    fn ends_and_single_pages_offer_only_real_moves() {
        let key = PageKey::new("tasks", UserId(7), Filters::new());
        let first = paginate(list(), &key, &Paged::new(Page::new(1, 20), 60));
        assert_eq!(first.buttons.len(), 1);
        assert_eq!(first.buttons[0].label, "▶");
        let last = paginate(list(), &key, &Paged::new(Page::new(3, 20), 60));
        assert_eq!(last.buttons[0].label, "◀");
        let only = paginate(list(), &key, &Paged::new(Page::new(1, 20), 20));
        assert!(only.buttons.is_empty());
        assert_eq!(only.embeds[0].footer, "60 tasks");
    }
}
