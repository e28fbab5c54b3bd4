//! The shared library on a real database: only web links, tags and search, paging, and removal
//! by the author or a lead.

mod harness;
use harness::*;

use backbone::actions;
use backbone::actions::resources::{self, AddResource, ListResources};
use backbone::actions::targets::{self, AddTarget};
use backbone::render;

fn link(url: &str, title: &str, tags: &str) -> AddResource {
    AddResource {
        url: url.into(),
        title: title.into(),
        tags: (!tags.is_empty()).then(|| tags.to_string()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_member_shares_a_toolkit_tied_to_a_target_and_finds_it_by_tag_and_words() {
    let w = World::new().await;
    w.climate().await;
    targets::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddTarget {
            name: "Cllr Reyes".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let added = resources::add(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        AddResource {
            target: Some("cllr reyes".into()),
            ..link(
                "https://example.org/rent-toolkit.pdf",
                "Rent relief toolkit",
                "Toolkit, #housing",
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(added.resource.number, 1);
    assert_eq!(added.resource.tag_list(), ["toolkit", "housing"]);
    assert_eq!(added.target_name.as_deref(), Some("Cllr Reyes"));
    let msg = render::resources::resource_added(&added);
    assert!(
        msg.embeds[0]
            .description
            .contains("<https://example.org/rent-toolkit.pdf>")
    );
    resources::add(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        link(
            "http://example.org/points",
            "Talking points for council",
            "housing",
        ),
    )
    .await
    .unwrap();

    let by_tag = |tag: &str| ListResources {
        tag: Some(tag.into()),
        ..Default::default()
    };
    let l = resources::list(&w.store, &w.actor(OUTSIDER), w.now, by_tag("toolkit"))
        .await
        .unwrap();
    assert_eq!(l.paged.total, 1);
    let l = resources::list(&w.store, &w.actor(OUTSIDER), w.now, by_tag("#Housing"))
        .await
        .unwrap();
    assert_eq!(l.paged.total, 2);
    // A tag matches whole: `tool` is not `toolkit`.
    let l = resources::list(&w.store, &w.actor(OUTSIDER), w.now, by_tag("tool"))
        .await
        .unwrap();
    assert_eq!(l.paged.total, 0);
    let l = resources::list(
        &w.store,
        &w.actor(OUTSIDER),
        w.now,
        ListResources {
            search: Some("COUNCIL".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(l.paged.total, 1);
    assert_eq!(l.resources[0].resource.title, "Talking points for council");
    let m = render::resources::resource_list(&l);
    assert!(m.ephemeral && m.limit_violations().is_empty());
}

#[tokio::test]
async fn only_web_links_are_taken_and_refusals_change_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    for bad in [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>",
        "file:///etc/passwd",
        "example.org/no-scheme",
        "https://",
    ] {
        user_err(
            resources::add(&w.store, &w.actor(MEMBER), w.now, link(bad, "Bad", "")).await,
            "https://",
        );
    }
    user_err(
        resources::add(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            link("https://example.org", &"t".repeat(201), ""),
        )
        .await,
        "the limit is 200",
    );
    user_err(
        resources::add(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            AddResource {
                target: Some("Nobody".into()),
                ..link("https://example.org", "About nobody", "")
            },
        )
        .await,
        "No target matching",
    );
    user_err(
        resources::add(
            &w.store,
            &w.actor(OUTSIDER),
            w.now,
            link("https://example.org", "x", ""),
        )
        .await,
        "not a member",
    );
    assert_eq!(w.events(&c).await, before);
    let l = resources::list(&w.store, &w.actor(MEMBER), w.now, ListResources::default())
        .await
        .unwrap();
    assert_eq!(l.paged.total, 0);
}

#[tokio::test]
async fn the_author_or_a_lead_removes_a_resource() {
    let w = World::new().await;
    w.climate().await;
    for i in 1..=3 {
        resources::add(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            link(&format!("https://example.org/{i}"), &format!("Doc {i}"), ""),
        )
        .await
        .unwrap();
    }
    user_err(
        resources::remove(&w.store, &w.actor(MEMBER2), w.now, None, "#1").await,
        "Only whoever logged resource #1 or a lead",
    );
    let out = resources::remove(&w.store, &w.actor(MEMBER), w.now, None, "#1")
        .await
        .unwrap();
    assert_eq!(out.resource.title, "Doc 1");
    resources::remove(&w.store, &w.actor(LEAD), w.now, None, "Doc 2")
        .await
        .unwrap();
    user_err(
        resources::remove(&w.store, &w.actor(LEAD), w.now, None, "#1").await,
        "No resource #1",
    );
    // From another guild the library isn't there at all.
    user_err(
        resources::remove(&w.store, &w.foreign(ADMIN), w.now, None, "#3").await,
        "no coalition",
    );
    let l = resources::list(&w.store, &w.actor(MEMBER), w.now, ListResources::default())
        .await
        .unwrap();
    assert_eq!(l.paged.total, 1);
}

#[tokio::test]
async fn a_long_library_pages_with_its_search_in_the_button() {
    let w = World::new().await;
    w.climate().await;
    for i in 0..25 {
        resources::add(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            link(
                &format!("https://example.org/{i}"),
                &format!("Brief: v{i}.0"),
                "brief",
            ),
        )
        .await
        .unwrap();
    }
    let l = resources::list(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        ListResources {
            search: Some("brief: v".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(l.paged.total, 25);
    let m = render::resources::resource_list(&l);
    assert!(m.limit_violations().is_empty());
    let next = backbone::domain::paging::PageKey::parse(&m.buttons[0].custom_id).unwrap();
    let page = actions::pages::turn(&w.store, &w.actor(MEMBER), w.now, &next)
        .await
        .unwrap();
    let m2 = render::paging::list_page(&page);
    assert!(
        m2.embeds[0].footer.contains("page 2 of 3"),
        "{}",
        m2.embeds[0].footer
    );
    assert!(m2.embeds[0].title.contains("brief: v"), "{}", m2.embeds[0].title);
}
