//! A city's components (部件) at the centre, on both backends, over real HTTP: the demo
//! city's components (loaded with the fixtures) reach a tablet through the feed, only those
//! of its inspector's cells; the console shows a component and the reports naming it (its
//! history); a district's layer imported again with `--retire-missing` retires what it
//! lacks, and a redrawn grid imported whole retires the cells it lacks with their
//! components — each reaching the tablet as a tombstone.
#![allow(clippy::unwrap_used)]

use gridwalk_protocol::{Change, ChangesPage, ComponentInfo};
use gridwalk_sync::services::admin::{self, Actor};
use gridwalk_system_tests::*;

/// Every change after `cursor`, page by page; the last cursor.
async fn pull(s: &Server, token: &str, cursor: Option<String>) -> (Vec<Change>, String) {
    let http = reqwest::Client::new();
    let (mut changes, mut cursor) = (Vec::new(), cursor.unwrap_or_default());
    loop {
        let resp = http
            .get(format!("{}/v1/changes?cursor={cursor}&limit=1000", s.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let page: ChangesPage = resp.json().await.unwrap();
        changes.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            return (changes, cursor);
        }
    }
}

fn components(changes: &[Change]) -> Vec<&ComponentInfo> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Component(c) => Some(&**c),
            _ => None,
        })
        .collect()
}

fn gis(name: &str) -> std::path::PathBuf {
    fixtures().join("gis").join(name)
}

async fn components_reach_their_cells_and_each_has_its_history(backend: Backend) {
    let s = server(backend).await;
    let inspector = s.store.user_by_login(INSPECTOR).await.unwrap().unwrap();
    let signer = Tablet::new();
    let token = admin::enroll_device(s.store.as_ref(), INSPECTOR, signer.id)
        .await
        .unwrap();

    // The tablet gets exactly the components of its inspector's cells.
    let (changes, _) = pull(&s, &token, None).await;
    let got = components(&changes);
    let every = s
        .store
        .components(&s.store.component_ids(&["440703".into()]).await.unwrap())
        .await
        .unwrap();
    assert!(every.len() > 3000, "{}", every.len());
    let theirs: Vec<&ComponentInfo> = every
        .iter()
        .filter(|c| inspector.cells.contains(&c.cell))
        .collect();
    assert!(!theirs.is_empty());
    assert_eq!(got.len(), theirs.len());
    assert!(got.iter().all(|c| inspector.cells.contains(&c.cell)));

    // A 部件 report naming one of them, pushed as the tablet does.
    let component = got[0].clone();
    let mut report =
        gridwalk_protocol::testing::report_at(component.lon, component.lat, chrono::Utc::now());
    (report.reporter, report.device) = (inspector.id, signer.id);
    report.kind = gridwalk_protocol::Kind::Component;
    report.category = component.category.clone();
    report.component_id = Some(component.id.clone());
    report.photos.clear();
    let submit = gridwalk_protocol::Mutation {
        id: 1,
        device: signer.id,
        created_at: chrono::Utc::now(),
        body: gridwalk_protocol::MutationBody::SubmitReport {
            report: Box::new(report.clone()),
        },
        signature: None,
    };
    let resp = post_push(&s, &token, &push_of(&signer, vec![submit])).await;
    assert_eq!(resp.status(), 200);

    // The console: the component, and its history (the work queue filtered by it).
    let session = console_session(&s, "chenjianguo", "lamps-at-night-7").await;
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", s.url))
            .bearer_auth(&session)
            .send()
    };
    let resp = get(format!("/v1/console/components/{}", component.id))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let shown: ComponentInfo = resp.json().await.unwrap();
    assert_eq!(shown, component);
    let page: serde_json::Value = get(format!("/v1/console/reports?component={}", component.id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["report"]["id"], report.id.to_string());
    // Another component has no history; a malformed or unknown ID is said so.
    let other = &got[1].id;
    let page: serde_json::Value = get(format!("/v1/console/reports?component={other}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");
    let resp = get("/v1/console/reports?component=12345".into())
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = get("/v1/console/components/4407030102999999".into())
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let e: gridwalk_protocol::ApiError = resp.json().await.unwrap();
    assert_eq!(e.code, "console.component_unknown");
    assert_eq!(
        get("/v1/console/components/abc".into())
            .await
            .unwrap()
            .status(),
        400
    );
    s.finish().await;
}

async fn retiring_components_and_cells_reaches_the_tablet_as_tombstones(backend: Backend) {
    let s = server(backend).await;
    let signer = Tablet::new();
    let token = admin::enroll_device(s.store.as_ref(), INSPECTOR, signer.id)
        .await
        .unwrap();
    let (first, cursor) = pull(&s, &token, None).await;
    let before = components(&first).len();

    // 东华社区's layer as the GIS department hands it over (Gauss-Krüger zone 38): checked
    // only, nothing changes; stored with --retire-missing, every other component of the
    // district is retired, and the tablet is told of its own cells' ones that went.
    let layer = gis("dongua-components-gk3-zone38.shp");
    let options = gridwalk_gis::Options {
        retire_missing: true,
        ..gridwalk_gis::Options::default()
    };
    let fields = gridwalk_gis::components::ComponentFields::default();
    let checked = admin::import_components(
        s.store.as_ref(),
        Actor::Cli,
        &layer,
        "dongua",
        &options,
        &fields,
        true,
    )
    .await
    .unwrap();
    assert!(
        checked.checked.problems.is_empty(),
        "{}",
        checked.checked.report()
    );
    assert_eq!((checked.stored, checked.retired), (0, 0));
    assert!(checked.missing > 2900, "{}", checked.missing);
    let (nothing, cursor) = pull(&s, &token, Some(cursor)).await;
    assert!(nothing.is_empty(), "a check changes nothing: {nothing:?}");

    let done = admin::import_components(
        s.store.as_ref(),
        Actor::Cli,
        &layer,
        "dongua",
        &options,
        &fields,
        false,
    )
    .await
    .unwrap();
    assert_eq!(done.retired, checked.missing);
    let in_file: Vec<String> = done
        .checked
        .components
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let (changes, cursor) = pull(&s, &token, Some(cursor)).await;
    let retired: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::ComponentRetired { id } => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let kept = components(&changes);
    // Every component of the tablet's cells came again (re-imported) or went.
    assert_eq!(kept.len() + retired.len(), before, "{changes:?}");
    assert!(kept.iter().all(|c| in_file.contains(&c.id.to_string())));
    assert!(retired.iter().all(|id| !in_file.contains(id)));
    assert_eq!(
        s.store
            .component_ids(&["440703".into()])
            .await
            .unwrap()
            .len(),
        in_file.len()
    );
    let audit = s.store.admin_acts(10).await.unwrap();
    assert!(
        audit.iter().any(|a| a.action == "import_components"),
        "{audit:?}"
    );

    // The grid of 东华社区 alone, imported as the whole grid: every other cell is retired
    // with its components; the tablet's own cells stay (they are in the file).
    let grid = admin::import_grid(
        s.store.as_ref(),
        Actor::Cli,
        &gis("dongua-gk3-zone38.shp"),
        "dongua grid",
        &options,
        false,
    )
    .await
    .unwrap();
    assert!(
        grid.checked.problems.is_empty(),
        "{}",
        grid.checked.report()
    );
    assert_eq!(grid.left_alone, 975);
    // Inspectors of the other communities still name retired cells: they are listed.
    assert!(
        grid.holding_retired.contains(&"zhaomin".to_owned()),
        "{:?}",
        grid.holding_retired
    );
    assert!(!grid.holding_retired.contains(&INSPECTOR.to_owned()));
    let (_, cells) = s.store.all_cells(None).await.unwrap();
    assert_eq!(cells.unwrap().len(), 25);
    // The tablet's cells are not retired, so it hears of no tombstone; an inspector of a
    // retired cell does.
    let (changes, _) = pull(&s, &token, Some(cursor)).await;
    assert!(
        !changes
            .iter()
            .any(|c| matches!(c, Change::CellRetired { .. })),
        "{changes:?}"
    );
    let elsewhere = s
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|(u, _)| u)
        .find(|u| {
            u.role == gridwalk_protocol::console::Role::Inspector
                && u.cells
                    .iter()
                    .all(|c| !c.as_str().starts_with("440703001001"))
        })
        .unwrap();
    let other = Tablet::new();
    let other_token = admin::enroll_device(s.store.as_ref(), &elsewhere.login, other.id)
        .await
        .unwrap();
    let (theirs, _) = pull(&s, &other_token, None).await;
    let gone: Vec<String> = theirs
        .iter()
        .filter_map(|c| match c {
            Change::CellRetired { code } => Some(code.to_string()),
            _ => None,
        })
        .collect();
    let mut expected: Vec<String> = elsewhere.cells.iter().map(ToString::to_string).collect();
    expected.sort();
    let mut gone_sorted = gone.clone();
    gone_sorted.sort();
    assert_eq!(gone_sorted, expected, "{theirs:?}");
    assert!(
        !theirs.iter().any(|c| matches!(c, Change::Cell { .. })),
        "a retired cell is not sent as a cell"
    );
    s.finish().await;
}

async fn the_console_imports_a_component_layer_and_refuses_an_oversized_file_in_words(
    backend: Backend,
) {
    let s = server(backend).await;
    let session = console_session(&s, "guanliyuan", "lamps-at-night-7").await;
    let http = reqwest::Client::new();
    let post = |query: &str, body: Vec<u8>| {
        http.post(format!("{}/v1/console/admin/import?{query}", s.url))
            .bearer_auth(&session)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let broken = std::fs::read(gis("broken-components-gk3-cm114.geojson")).unwrap();
    let resp = post("what=components&name=broken.geojson", broken)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(answer["stored"], false);
    assert_eq!(answer["problems"].as_array().unwrap().len(), 5, "{answer}");
    let before = s.store.component_ids(&["440703".into()]).await.unwrap();
    // Past the 64 MB an import may carry: the API's error, in JSON, naming the limit.
    let resp = post(
        "what=components&name=big.geojson",
        vec![b' '; gridwalk_sync::services::import::MAX_UPLOAD + 1],
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 413);
    let e: gridwalk_protocol::ApiError = resp.json().await.unwrap();
    assert_eq!(e.code, "request.body_too_large");
    assert_eq!(
        s.store.component_ids(&["440703".into()]).await.unwrap(),
        before
    );
    s.finish().await;
}

on_every_backend!(
    the_console_imports_a_component_layer_and_refuses_an_oversized_file_in_words,
    components_reach_their_cells_and_each_has_its_history,
    retiring_components_and_cells_reaches_the_tablet_as_tombstones,
);
