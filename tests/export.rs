mod harness;
use harness::*;

use std::io::Read;

use backbone::actions::checkins::{self, SubmitNewRound};
use backbone::actions::export::{self, ExportFormat, ExportInput};
use backbone::actions::{orgs, roles};
use backbone::domain::*;
use backbone::store;
use chrono::Duration;

const TABLES: [&str; 24] = [
    "coalitions",
    "orgs",
    "members",
    "responsibilities",
    "goals",
    "goal_values",
    "tasks",
    "deadlines",
    "wins",
    "targets",
    "outreach",
    "stance_changes",
    "resources",
    "checkin_questions",
    "checkin_rounds",
    "checkins",
    "checkin_answers",
    "feedback",
    "meetings",
    "meeting_items",
    "meeting_rsvps",
    "meeting_attendance",
    "meeting_minutes",
    "events",
];

/// Climate Coalition with a row or more in every table, and Water Coalition whose rows (all
/// mentioning "Water") must never appear in Climate's export.
async fn filled(w: &World) -> Coalition {
    let c = w.climate().await;
    let now = w.now.timestamp();
    let lead = w.actor(LEAD);
    orgs::add(
        &w.store,
        &lead,
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Sunrise".into(),
        },
    )
    .await
    .unwrap();
    let comms = roles::AssignRole {
        coalition: None,
        user: MEMBER,
        responsibility: "comms".into(),
    };
    roles::assign(&w.store, &lead, w.now, comms).await.unwrap();
    w.raw_goal(&c, "Plant trees", 40.0, Some(100.0), Some("trees"), "active")
        .await;
    w.raw_goal(&c, "Old goal", 1.0, None, None, "achieved").await;
    w.raw_task(
        &c,
        RawTask {
            title: "Draft letter",
            assignee: Some(MEMBER),
            due_at: Some(now + 86_400),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Printed",
            status: "done",
            completed_at: Some(now),
            ..Default::default()
        },
    )
    .await;
    let blocked = RawTask {
        title: "Book hall",
        status: "blocked",
        blocked_reason: Some("No budget"),
        ..Default::default()
    };
    w.raw_task(&c, blocked).await;
    w.raw_deadline(&c, "Launch", now + 3 * 86_400, "open").await;
    w.raw_win(&c, MEMBER, "Council adopted the plan", now - 3600)
        .await;
    w.raw_win(&c, MEMBER2, "=HYPERLINK(\"http://x\")", now - 60).await;
    // The first answer opens the round; the second joins it.
    for (user, blockers) in [(MEMBER, ""), (MEMBER2, "No venue,\nstill")] {
        let input = SubmitNewRound {
            coalition: c.id,
            answers: vec!["things".to_string(), "more".to_string(), blockers.to_string()],
        };
        checkins::submit_new_round(&w.store, &w.actor(user), w.now, input)
            .await
            .unwrap();
    }

    advocacy(w, &lead, None, "Cllr Reyes").await;

    let other = w.coalition("Water Coalition").await;
    let admin = w.actor(ADMIN);
    advocacy(w, &admin, Some(&other.name), "Water board chair").await;
    orgs::add(
        &w.store,
        &admin,
        w.now,
        orgs::AddOrg {
            coalition: Some(other.name.clone()),
            name: "Water Org".into(),
        },
    )
    .await
    .unwrap();
    w.raw_goal(&other, "Water goal", 1.0, Some(2.0), None, "active")
        .await;
    w.raw_task(
        &other,
        RawTask {
            title: "Water task",
            ..Default::default()
        },
    )
    .await;
    w.raw_deadline(&other, "Water milestone", now + 86_400, "open")
        .await;
    w.raw_win(&other, ADMIN, "Water win", now).await;
    let input = SubmitNewRound {
        coalition: other.id,
        answers: vec!["Water done".to_string(), String::new(), String::new()],
    };
    checkins::submit_new_round(&w.store, &admin, w.now, input)
        .await
        .unwrap();
    held_meeting(w, &c, "Strategy").await;
    held_meeting(w, &other, "Water meeting").await;
    c
}

/// A target in `coalition`, an outreach that moves its stance, and a resource about it.
async fn advocacy(w: &World, actor: &backbone::actions::Actor, coalition: Option<&str>, name: &str) {
    use backbone::actions::{outreach, resources, targets};
    let coalition = coalition.map(str::to_string);
    let add = targets::AddTarget {
        coalition: coalition.clone(),
        name: name.into(),
        ..Default::default()
    };
    targets::add(&w.store, actor, w.now, add).await.unwrap();
    let log = outreach::LogOutreach {
        coalition: coalition.clone(),
        target: name.into(),
        kind: "call".into(),
        outcome: format!("{name} will support it"),
        stance: Some("supportive".into()),
        ..Default::default()
    };
    outreach::log(&w.store, actor, w.now, log).await.unwrap();
    let link = resources::AddResource {
        coalition,
        url: "https://example.org/brief".into(),
        title: format!("Brief for {name}"),
        target: Some(name.into()),
        ..Default::default()
    };
    resources::add(&w.store, actor, w.now, link).await.unwrap();
}

/// A meeting of `c` held with an answer, a proposed item, attendance and a note.
async fn held_meeting(w: &World, c: &Coalition, title: &str) {
    use backbone::actions::meetings;
    let admin = w.actor(ADMIN);
    let name = Some(c.name.as_str());
    let input = meetings::ScheduleMeeting {
        coalition: Some(c.name.clone()),
        title: title.into(),
        when: "in 2 hours".into(),
        ..Default::default()
    };
    let m = meetings::schedule(&w.store, &admin, w.now, input)
        .await
        .unwrap()
        .meeting;
    meetings::rsvp(
        &w.store,
        &admin,
        w.now,
        m.id,
        backbone::domain::meeting::Rsvp::Yes,
    )
    .await
    .unwrap();
    meetings::propose(&w.store, &admin, w.now, name, None, &format!("{title} item"))
        .await
        .unwrap();
    let at = w.now + Duration::hours(2);
    meetings::start(&w.store, &admin, at, name, None).await.unwrap();
    meetings::here(&w.store, &admin, at, m.id).await.unwrap();
    let note = backbone::domain::meeting::MinuteKind::Note;
    meetings::add_minute(&w.store, &admin, at, name, note, &format!("{title} note"))
        .await
        .unwrap();
    meetings::end(&w.store, &admin, at, name).await.unwrap();
}

async fn row_count(w: &World, table: &str, c: &Coalition) -> usize {
    if table == "coalitions" {
        return 1;
    }
    if table == "meeting_rsvps" || table == "meeting_attendance" {
        let n: i64 = backbone::store::sql::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE meeting_id IN (SELECT id FROM meetings WHERE coalition_id = ?)"
        )))
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap();
        return n as usize;
    }
    if table == "checkin_answers" {
        let n: i64 = backbone::store::sql::query_scalar(
            "SELECT COUNT(*) FROM checkin_answers WHERE checkin_id IN (SELECT id FROM checkins WHERE coalition_id = ?)",
        )
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap();
        return n as usize;
    }
    w.rows_in(table, c).await as usize
}

#[tokio::test]
async fn lead_exports_json_with_every_table() {
    let w = World::new().await;
    let c = filled(&w).await;
    let before = w.events(&c).await;

    let input = ExportInput {
        coalition: None,
        format: ExportFormat::Json,
    };
    let file = export::export(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();
    assert_eq!(file.filename, "climate-coalition-2026-11-23.json");
    assert_eq!(file.content_type, "application/json");
    assert_eq!(file.coalition_name, "Climate Coalition");
    assert_eq!(w.events(&c).await, before, "exporting changes nothing");

    let text = String::from_utf8(file.bytes.clone()).unwrap();
    assert!(
        !text.contains("Water"),
        "another coalition's rows leaked into the export"
    );
    let json: serde_json::Value = serde_json::from_slice(&file.bytes).unwrap();
    assert_eq!(json["coalition"]["name"], "Climate Coalition");
    assert_eq!(json["coalition"]["timezone"], "Europe/Berlin");
    for table in &TABLES[1..] {
        let got = json[*table]
            .as_array()
            .unwrap_or_else(|| panic!("`{table}` is an array"))
            .len();
        assert_eq!(got, row_count(&w, table, &c).await, "rows of {table}");
    }
    assert_eq!(json["members"].as_array().unwrap().len(), 4);
    assert_eq!(json["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(json["checkins"].as_array().unwrap().len(), 2);
    // Each answer to each question, keyed by check-in and position.
    let answers = json["checkin_answers"].as_array().unwrap();
    assert!(answers.len() >= 2, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a["position"].as_i64().is_some_and(|p| (1..=5).contains(&p)))
    );
    assert_eq!(json["events"].as_array().unwrap().len() as i64, before);
    assert_eq!(json["goals"][0]["target"], 100.0);
    assert_eq!(json["tasks"][2]["blocked_reason"], "No budget");
    assert_eq!(json["tasks"][0]["completed_at"], serde_json::Value::Null);
    assert_eq!(json["wins"][0]["created_at"], w.now.timestamp() - 3600);
    assert_eq!(json["wins"][0]["created_at_utc"], "2026-11-23T09:00:00+00:00");
    let counts: Vec<(String, usize)> = file.counts.clone();
    assert_eq!(counts.len(), 23);
    assert!(counts.contains(&("wins".to_string(), 2)));
    // Added with `neutral`, moved to `supportive` by the call: two entries of its history.
    assert!(counts.contains(&("stance_changes".to_string(), 2)));
    assert_eq!(json["outreach"][0]["stance_seen"], "supportive");
    assert_eq!(json["resources"][0]["url"], "https://example.org/brief");
}

#[tokio::test]
async fn csv_export_is_a_zip_with_one_file_per_table() {
    let w = World::new().await;
    let c = filled(&w).await;

    let input = ExportInput {
        coalition: Some("climate coalition".into()),
        format: ExportFormat::Csv,
    };
    let file = export::export(&w.store, &w.actor(ADMIN), w.now, input)
        .await
        .unwrap();
    assert_eq!(file.filename, "climate-coalition-2026-11-23.zip");
    assert_eq!(file.content_type, "application/zip");

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(file.bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = TABLES.iter().map(|t| format!("{t}.csv")).collect();
    expected.sort();
    assert_eq!(names, expected);

    for table in TABLES {
        let mut body = String::new();
        zip.by_name(&format!("{table}.csv"))
            .unwrap()
            .read_to_string(&mut body)
            .unwrap();
        assert!(!body.contains("Water"), "{table}.csv leaks another coalition");
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert!(
            // Each table starts with its key.
            header
                .iter()
                .next()
                .is_some_and(|h| ["id", "user_id", "version", "checkin_id"].contains(&h)),
            "{table}: header {header:?}"
        );
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(
            records.len(),
            row_count(&w, table, &c).await,
            "rows of {table}.csv"
        );
        assert!(records.iter().all(|r| r.len() == header.len()));
    }

    let mut tasks = String::new();
    zip.by_name("tasks.csv")
        .unwrap()
        .read_to_string(&mut tasks)
        .unwrap();
    assert!(tasks.starts_with("id,number,title,assignee_id,"), "{tasks}");
    assert!(
        tasks.contains("due_at,due_at_utc,"),
        "time columns come with a readable twin"
    );

    let mut wins = String::new();
    zip.by_name("wins.csv")
        .unwrap()
        .read_to_string(&mut wins)
        .unwrap();
    assert!(wins.contains("'=HYPERLINK"), "formulas are defused: {wins}");

    let mut checkins_csv = String::new();
    zip.by_name("checkins.csv")
        .unwrap()
        .read_to_string(&mut checkins_csv)
        .unwrap();
    let mut reader = csv::Reader::from_reader(checkins_csv.as_bytes());
    let blockers: Vec<String> = reader.records().map(|r| r.unwrap()[5].to_string()).collect();
    assert_eq!(blockers, ["", "No venue,\nstill"], "commas and newlines survive");
}

#[tokio::test]
async fn empty_tables_still_have_headers() {
    let w = World::new().await;
    let c = w.climate().await;
    let file = export::export_coalition(&w.store, &c, ExportFormat::Csv, w.now)
        .await
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(file.bytes)).unwrap();
    let mut wins = String::new();
    zip.by_name("wins.csv")
        .unwrap()
        .read_to_string(&mut wins)
        .unwrap();
    assert_eq!(
        wins.trim_end(),
        "id,user_id,text,org_id,org_name,goal_id,task_id,amount,created_at,created_at_utc"
    );

    let json = export::export_coalition(&w.store, &c, ExportFormat::Json, w.now)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    assert_eq!(json["wins"], serde_json::json!([]));
}

#[tokio::test]
async fn file_is_dated_in_the_coalitions_time_zone() {
    let mut w = World::new().await;
    let c = w.climate().await;
    // 23:30 UTC on Monday is already Tuesday in Berlin.
    w.advance(Duration::minutes(13 * 60 + 30));
    let file = export::export_coalition(&w.store, &c, ExportFormat::Json, w.now)
        .await
        .unwrap();
    assert_eq!(file.filename, "climate-coalition-2026-11-24.json");
}

#[tokio::test]
async fn member_cannot_export() {
    let w = World::new().await;
    let c = filled(&w).await;
    let before = w.events(&c).await;
    let input = ExportInput {
        coalition: None,
        format: ExportFormat::Json,
    };
    user_err(
        export::export(&w.store, &w.actor(MEMBER), w.now, input.clone()).await,
        "Only leads",
    );
    user_err(
        export::export(&w.store, &w.actor(OUTSIDER), w.now, input).await,
        "Only leads",
    );
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn coalition_from_another_guild_cannot_be_exported() {
    let w = World::new().await;
    let c = filled(&w).await;
    let input = ExportInput {
        coalition: Some("Climate Coalition".into()),
        format: ExportFormat::Csv,
    };
    user_err(
        export::export(&w.store, &w.foreign(LEAD), w.now, input).await,
        "No coalition named `Climate Coalition`",
    );
    assert!(
        store::coalitions::get(w.store.pool(), OTHER_GUILD, c.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn formats_read_from_choices() {
    assert_eq!(ExportFormat::parse("CSV"), Some(ExportFormat::Csv));
    assert_eq!(ExportFormat::parse("json"), Some(ExportFormat::Json));
    assert_eq!(ExportFormat::parse("xml"), None);
    assert_eq!(ExportFormat::Json.as_str(), "json");
}
