//! End-to-end scenarios of issue 10 (edit, cancel, remove, archive, page through) against the fake
//! Discord in `fake_discord/`: the real bot, a manual clock, every payload validated.

#![recursion_limit = "256"]
mod fake_discord;

use fake_discord::*;

/// Runs SQL on the bot's database.
async fn sql(bot: &Bot, query: &str) {
    let store = bot.store().await;
    backbone::store::sql::query(sqlx::AssertSqlSafe(query.to_string()))
        .execute(store.pool())
        .await
        .expect("sql");
    store.close().await;
}

/// Page through 60 tasks with the ◀ ▶ buttons of `/task list`, after a restart: the buttons carry
/// everything, so the new process draws page 2 and 3 (and back) from the custom id alone; someone
/// else's click on the same buttons is refused privately.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_tasks_page_through_after_a_restart() {
    let mut bot = Bot::start().await;
    river_alliance(&bot).await;
    let now = bot.now().timestamp();
    let mut rows = Vec::new();
    for n in 1..=60 {
        rows.push(format!(
            "((SELECT id FROM coalitions), {n}, 'Task number {n}', {MEMBER}, 'open', {LEAD}, {now}, {now})"
        ));
    }
    sql(
        &bot,
        &format!(
            "INSERT INTO tasks (coalition_id, number, title, assignee_id, status, created_by, created_at, updated_at) VALUES {}",
            rows.join(",")
        ),
    )
    .await;

    let r = bot.slash(LEAD, "task list", &[]).await;
    assert_private(&r, "page 1 of 3");
    assert!(r.text().contains("60 tasks"), "{}", r.text());
    assert!(
        r.text().contains("Task number 20") && !r.text().contains("Task number 21"),
        "{}",
        r.text()
    );
    let next = r.button("page:tasks:");
    assert_eq!(
        r.buttons().len(),
        1,
        "the first page only goes forward: {:?}",
        r.buttons()
    );
    let list = r.message_id();

    bot.restart().await;

    let p2 = bot.click(LEAD, list, &next).await;
    assert_eq!(p2.kind, 7, "the list is updated in place: {p2:?}");
    let text = p2.text();
    assert!(text.contains("page 2 of 3"), "{text}");
    assert!(
        text.contains("Task number 21") && text.contains("Task number 40"),
        "{text}"
    );
    assert!(
        !text.contains("Task number 20\n") && !text.contains("Task number 41"),
        "{text}"
    );
    assert_eq!(p2.buttons().len(), 2, "{:?}", p2.buttons());

    let forward = p2
        .buttons()
        .into_iter()
        .find(|b| b.ends_with(":3"))
        .expect("▶ to page 3");
    let p3 = bot.click(LEAD, list, &forward).await;
    assert!(
        p3.text().contains("page 3 of 3") && p3.text().contains("Task number 60"),
        "{}",
        p3.text()
    );
    assert_eq!(
        p3.buttons().len(),
        1,
        "the last page only goes back: {:?}",
        p3.buttons()
    );

    let back = p3.buttons()[0].clone();
    let again = bot.click(LEAD, list, &back).await;
    assert!(again.text().contains("page 2 of 3"), "{}", again.text());

    let theirs = bot.click_forged(GUILD, HOME, MEMBER, &back).await;
    assert_private(&theirs, "Only the person who ran this list");
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

fn at_sec(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn posts_containing(bot: &Bot, channel: u64, needle: &str) -> Vec<Msg> {
    bot.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.interaction_token.is_none() && m.text().contains(needle))
        .collect()
}

/// Waits until the bot has recorded where task #1's card is (it reads the card back after
/// answering, so a command typed at machine speed could otherwise beat it).
async fn card_remembered(bot: &Bot) {
    let store = bot.store().await;
    let deadline = tokio::time::Instant::now() + SCHEDULED;
    loop {
        let id: Option<i64> =
            backbone::store::sql::query_scalar("SELECT message_id FROM tasks WHERE number = 1")
                .fetch_one(store.pool())
                .await
                .expect("task #1");
        if id.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the card was never recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    store.close().await;
}

/// Editing a task's title redraws its posted card in place, and `/task list` shows the new title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_title_updates_the_card_and_the_list() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[("title", "Prnt the flyers"), ("assignee", &MEMBER.to_string())],
        )
        .await;
    assert_public(&r, "Prnt the flyers");
    let card = r.message_id();
    let edits = bot.fake.message(card).expect("card").edits;
    card_remembered(&bot).await;

    let refused = bot
        .slash(MEMBER2, "task edit", &[("task", "#1"), ("title", "Nope")])
        .await;
    assert_private(&refused, "Only whoever assigned task #1");

    let r = bot
        .slash(
            MEMBER,
            "task edit",
            &[("task", "#1"), ("title", "Print the flyers")],
        )
        .await;
    assert_private(&r, "title: Prnt the flyers → Print the flyers");
    let card_now = bot
        .fake
        .wait_for("the card's edit", SCHEDULED, |s| {
            s.messages.get(&card).filter(|m| m.edits > edits).cloned()
        })
        .await;
    assert!(
        card_now.text().contains("#1 Print the flyers"),
        "{}",
        card_now.text()
    );
    assert!(!card_now.text().contains("Prnt"), "{}", card_now.text());

    let list = bot.slash(NOBODY, "task list", &[]).await;
    assert_private(&list, "Print the flyers");
    assert!(!list.text().contains("Prnt"), "{}", list.text());
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Removing a win takes its amount off the goal and edits the celebration post to say it was
/// withdrawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_win_lowers_the_goal_and_edits_the_celebration() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;
    let r = bot
        .slash(
            LEAD,
            "goal add",
            &[("title", "Plant trees"), ("target", "500"), ("unit", "trees")],
        )
        .await;
    assert_public(&r, "Plant trees");
    let r = bot
        .slash(
            MEMBER,
            "win log",
            &[("text", "Planted 40 trees"), ("goal", "#1"), ("amount", "40")],
        )
        .await;
    assert_public(&r, "Planted 40 trees");
    let party = wait_post(&bot, HOME, "A win for River Alliance").await;
    assert!(party.text().contains("40/500"), "{}", party.text());

    let choices = bot
        .autocomplete(MEMBER, "win remove", &[("win", "")], "win")
        .await
        .choices();
    assert_eq!(choices.len(), 1, "{choices:?}");
    let win = choices[0].1.as_str().expect("string value").to_string();
    let theirs = bot
        .autocomplete(MEMBER2, "win remove", &[("win", "")], "win")
        .await
        .choices();
    assert!(theirs.is_empty(), "members see only their own wins: {theirs:?}");

    let refused = bot.slash(MEMBER2, "win remove", &[("win", &win)]).await;
    assert_private(&refused, "Only whoever logged win #1");

    let r = bot.slash(MEMBER, "win remove", &[("win", &win)]).await;
    assert_private(&r, "Win withdrawn");
    assert!(r.text().contains("0/500"), "{}", r.text());
    let edited = bot
        .fake
        .wait_for("the celebration's edit", SCHEDULED, |s| {
            s.messages
                .get(&party.id)
                .filter(|m| m.edits > party.edits)
                .cloned()
        })
        .await;
    assert!(edited.text().contains("Withdrawn"), "{}", edited.text());
    let goals = bot.slash(NOBODY, "goal list", &[]).await;
    assert!(goals.text().contains("0/500"), "{}", goals.text());
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// A coalition archived seconds before its digest posts nothing; restored, it posts the next one
/// (and not the one missed while archived).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_coalition_skips_its_digest_and_restored_posts_the_next() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;
    bot.set_time(at_sec(2026, 11, 30, 8, 59, 55));
    let r = bot.slash(LEAD, "coalition archive", &[]).await;
    assert_private(&r, "Only server admins");
    let r = bot.slash(ADMIN, "coalition archive", &[]).await;
    assert_public(&r, "is archived");
    bot.set_time(at_sec(2026, 11, 30, 9, 0, 5));
    bot.rounds_through(at_sec(2026, 11, 30, 9, 0, 5)).await;
    assert!(
        posts_containing(&bot, HOME, "Digest ·").is_empty(),
        "an archived coalition posts no digest"
    );
    let list = bot.slash(NOBODY, "coalition list", &[]).await;
    assert!(!list.text().contains("River Alliance"), "{}", list.text());

    bot.set_time(at_sec(2026, 11, 30, 10, 0, 0));
    let choices = bot
        .autocomplete(ADMIN, "coalition restore", &[("coalition", "Riv")], "coalition")
        .await
        .choices();
    assert!(choices.iter().any(|(_, v)| v == "River Alliance"), "{choices:?}");
    let r = bot
        .slash(ADMIN, "coalition restore", &[("coalition", "River Alliance")])
        .await;
    assert_public(&r, "is back");
    // A round that starts after the restore (its clock is later) has planned what it would.
    bot.set_time(at_sec(2026, 11, 30, 10, 0, 1));
    bot.rounds_through(at_sec(2026, 11, 30, 10, 0, 1)).await;
    assert!(
        posts_containing(&bot, HOME, "Digest ·").is_empty(),
        "the missed digest is not replayed"
    );

    bot.set_time(at_sec(2026, 12, 7, 9, 0, 5));
    let digest = wait_post(&bot, HOME, "Digest · ").await;
    assert!(digest.text().contains("River Alliance"), "{}", digest.text());
    assert_eq!(posts_containing(&bot, HOME, "Digest ·").len(), 1);
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
