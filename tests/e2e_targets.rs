//! End-to-end against the fake Discord: a coalition works its targets. A lead adds a council
//! member, a member logs a meeting that moves her stance (with a follow-up task whose card
//! appears), `/target show` gives the timeline (and the lead's private note only to leads),
//! `/target list` and the `/target map` picture, then the library: `/resource add` and
//! `/resource list`. Refusals are ephemeral and change nothing.

#![recursion_limit = "256"]
mod fake_discord;

use fake_discord::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coalition_works_its_targets_and_shares_a_library() {
    let bot = Bot::start().await;
    bot.slash(ADMIN, "coalition create", &[("name", "Eastside Housing")])
        .await;
    let lead = LEAD.to_string();
    bot.slash(ADMIN, "member add", &[("user", &lead), ("role", "lead")])
        .await;
    bot.slash(ADMIN, "org add", &[("name", "Eastside Pantry")]).await;
    bot.slash(
        LEAD,
        "member add",
        &[("user", &MEMBER.to_string()), ("org", "Eastside Pantry")],
    )
    .await;

    // A member may not add targets: ephemeral, names the fix, changes nothing.
    let before = bot.db_fingerprint().await;
    let r = bot.slash(MEMBER, "target add", &[("name", "Cllr Reyes")]).await;
    assert!(r.ephemeral(), "{}", r.text());
    assert!(r.text().contains("Only leads"), "{}", r.text());
    assert_eq!(bot.db_fingerprint().await, before);

    let r = bot
        .slash(
            LEAD,
            "target add",
            &[
                ("name", "Cllr Reyes"),
                ("role", "council member"),
                ("office", "City Council"),
                ("influence", "high"),
            ],
        )
        .await;
    assert!(r.text().contains("New target: Cllr Reyes"), "{}", r.text());
    let r = bot.slash(LEAD, "target add", &[("name", "cllr reyes")]).await;
    assert!(
        r.ephemeral() && r.text().contains("already has a target"),
        "{}",
        r.text()
    );

    // Autocomplete offers the target by name.
    let r = bot
        .autocomplete(MEMBER, "target log", &[("target", "rey")], "target")
        .await;
    let choices = r.choices();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert_eq!(choices[0].1, "Cllr Reyes");

    // A meeting that moves her to supportive, with a follow-up task for the member.
    let r = bot
        .slash(
            MEMBER,
            "target log",
            &[
                ("target", "Cllr Reyes"),
                ("kind", "meeting"),
                ("outcome", "She will back the ordinance @everyone"),
                ("stance", "supportive"),
                ("ask", "Co-sponsor the tenant ordinance"),
                ("follow_up", "in 3 days"),
            ],
        )
        .await;
    assert!(!r.ephemeral(), "{}", r.text());
    let text = r.text();
    assert!(text.contains("Meeting with Cllr Reyes"), "{text}");
    assert!(text.contains("neutral → 🟢 supportive"), "{text}");
    assert!(text.contains("Follow-up"), "{text}");
    assert!(!text.contains("@everyone"), "defused: {text}");
    let card = bot
        .wait_message("the follow-up task card", REPLY_TIMEOUT, |m| {
            m.text().contains("Follow up with Cllr Reyes (meeting)")
        })
        .await;
    assert!(
        card.buttons().iter().any(|b| b.starts_with("task:done:")),
        "{:?}",
        card.buttons()
    );

    // The lead keeps a private note through the button on /target show.
    let r = bot.slash(LEAD, "target show", &[("target", "Cllr Reyes")]).await;
    assert!(r.ephemeral());
    let note = r.button("target:note:");
    let form = bot.click(LEAD, r.message_id(), &note).await;
    assert!(form.modal_id().starts_with("modal:target-note:"));
    let saved = bot
        .submit(LEAD, &form, &[("note", "Chief of staff is the way in")])
        .await;
    assert!(
        saved.ephemeral() && saved.text().contains("only leads"),
        "{}",
        saved.text()
    );

    // Anyone sees the timeline; only leads see the note.
    let r = bot
        .slash(MEMBER, "target show", &[("target", "Cllr Reyes")])
        .await;
    assert!(r.ephemeral());
    let text = r.text();
    assert!(text.contains("meeting by"), "{text}");
    assert!(text.contains("supportive"), "{text}");
    assert!(!text.contains("Chief of staff"), "{text}");
    assert!(r.buttons().is_empty());
    let r = bot.slash(LEAD, "target show", &[("target", "Cllr Reyes")]).await;
    assert!(r.text().contains("Chief of staff"), "{}", r.text());

    // A member clicking a lead's note button is refused.
    let forged = bot.click_forged(GUILD, HOME, MEMBER, &note).await;
    assert!(
        forged.ephemeral() && forged.text().contains("Only leads"),
        "{}",
        forged.text()
    );

    let r = bot
        .slash(NOBODY, "target list", &[("stance", "supportive")])
        .await;
    assert!(r.ephemeral());
    assert!(r.text().contains("Cllr Reyes"), "{}", r.text());

    // The map: a picture the embed shows.
    let mark = bot.fake.mark();
    let r = bot.slash(NOBODY, "target map", &[]).await;
    assert!(r.ephemeral(), "{}", r.text());
    let uploads: Vec<Request> = bot
        .fake
        .requests_since(mark)
        .into_iter()
        .filter(|r| !r.uploads.is_empty())
        .collect();
    assert_eq!(uploads.len(), 1, "{:?}", bot.fake.requests_since(mark));
    let file = &uploads[0].uploads[0];
    assert_eq!(file.filename, "target-map.png");
    assert!(file.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(
        uploads[0].body["embeds"][0]["image"]["url"],
        "attachment://target-map.png"
    );

    // The library: a javascript: link is refused, a web link is shared and listed.
    let r = bot
        .slash(
            MEMBER,
            "resource add",
            &[("url", "javascript:alert(1)"), ("title", "Totally safe")],
        )
        .await;
    assert!(r.ephemeral() && r.text().contains("https://"), "{}", r.text());
    let r = bot
        .slash(
            MEMBER,
            "resource add",
            &[
                ("url", "https://example.org/ordinance-toolkit.pdf"),
                ("title", "Ordinance toolkit"),
                ("tags", "toolkit, housing"),
                ("target", "Cllr Reyes"),
            ],
        )
        .await;
    assert!(r.text().contains("Ordinance toolkit"), "{}", r.text());
    let r = bot.slash(NOBODY, "resource list", &[("tag", "toolkit")]).await;
    assert!(r.ephemeral());
    assert!(
        r.text().contains("https://example.org/ordinance-toolkit.pdf"),
        "{}",
        r.text()
    );
    let r = bot.slash(MEMBER2, "resource remove", &[("resource", "#1")]).await;
    assert!(r.ephemeral(), "{}", r.text());
    let r = bot.slash(LEAD, "resource remove", &[("resource", "#1")]).await;
    assert!(r.text().contains("Removed from the library"), "{}", r.text());

    // Another guild cannot reach this coalition's target.
    let r = bot
        .slash_in(
            OTHER_GUILD,
            OTHER_HOME,
            ADMIN,
            "target show",
            &[("target", "Cllr Reyes")],
        )
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    assert!(!r.text().contains("supportive"), "{}", r.text());

    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
