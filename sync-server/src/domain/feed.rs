//! The change feed (`GET /v1/changes`): what a device's user may see, as it is now, in the
//! order it last changed.
//!
//! The store keeps one feed row per report, code table and cell, carrying the sequence
//! number of its latest change and who may see it (a report: its reporter; a cell: users
//! with that cell; a code table: everyone). A page is the visible rows after the cursor;
//! each becomes a [`Change`] carrying the thing's current state, as loaded ([`changes`]).
//!
//! A cursor is `epoch.seq` in unpadded base64url: the database it came from and the last
//! number the device has seen. It cannot continue — the answer is `410 Gone`, `resync` —
//! when it names another database (a restore or a new server), when it is ahead of this
//! database (a restore from an older backup), or when it is behind the newest tombstone
//! forgotten ([`crate::store::FeedStore::prune_feed`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gridwalk_protocol::message::{Message, code};
use gridwalk_protocol::{CaseState, CellCode, CentralReport, Change, ComponentInfo, TaskChange};

use super::model::{FeedKind, FeedPage, FeedRow, StoredReport};

/// How long a tombstone is kept: a device that has not pulled for longer must resync.
pub const TOMBSTONE_TTL: chrono::TimeDelta = chrono::TimeDelta::days(90);

/// The page size when the device does not ask for one, and the most it may ask for.
pub const DEFAULT_LIMIT: usize = 200;
pub const MAX_LIMIT: usize = 1000;

/// Where a device stands in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub epoch: String,
    pub seq: u64,
}

impl Cursor {
    #[must_use]
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.epoch, self.seq))
    }

    /// Reads a cursor this server gave out.
    pub fn decode(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a cursor this server gave out");
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (epoch, seq) = raw.split_once('.').ok_or_else(bad)?;
        Ok(Self {
            epoch: epoch.to_owned(),
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

/// Whether a device can continue from `cursor` given the feed's state; `Err` says why not.
pub fn check_cursor(cursor: &Cursor, page: &FeedPage) -> Result<(), String> {
    if cursor.epoch != page.epoch {
        Err("the cursor is from another database; start again from the beginning".into())
    } else if cursor.seq > page.last_seq {
        Err(format!(
            "the cursor is ahead of this database ({} > {}): it was restored from a backup; \
             start again from the beginning",
            cursor.seq, page.last_seq
        ))
    } else if cursor.seq < page.horizon {
        Err("changes after this cursor have been forgotten; start again from the beginning".into())
    } else {
        Ok(())
    }
}

/// The rows of a page to hand out (at most `limit` of the `limit + 1` read), whether there
/// are more, and the sequence number the next cursor stands at.
#[must_use]
pub fn window(page: &FeedPage, limit: usize, after: u64) -> (&[FeedRow], bool, u64) {
    let more = page.rows.len() > limit;
    let rows = &page.rows[..page.rows.len().min(limit)];
    let next = match rows.last() {
        Some(last) if more => last.seq,
        // Everything visible up to the snapshot has been read.
        _ => page.last_seq.max(after),
    };
    (rows, more, next)
}

/// What the things a page names are now, as loaded: reports, cells (code, GeoJSON text),
/// code tables (version, text) and tasks with their cases.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub reports: Vec<StoredReport>,
    pub cells: Vec<(CellCode, String)>,
    pub tables: Vec<(String, String)>,
    pub tasks: Vec<TaskChange>,
    pub components: Vec<ComponentInfo>,
}

/// The changes of a page, in its order; a thing no longer there is left out.
pub fn changes(rows: &[FeedRow], loaded: &Loaded) -> Result<Vec<Change>, String> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let change = match row.kind {
            FeedKind::Task => loaded
                .tasks
                .iter()
                .find(|t| t.task.id.to_string() == row.entity)
                .map(|t| Change::Task(Box::new(t.clone()))),
            FeedKind::Report => loaded
                .reports
                .iter()
                .find(|s| s.report.id.to_string() == row.entity)
                .map(report_change),
            FeedKind::Cell if row.tombstone => Some(Change::CellRetired {
                code: parse_entity(row)?,
            }),
            FeedKind::Component if row.tombstone => Some(Change::ComponentRetired {
                id: parse_entity(row)?,
            }),
            FeedKind::Component => loaded
                .components
                .iter()
                .find(|c| c.id.as_str() == row.entity)
                .map(|c| Change::Component(Box::new(c.clone()))),
            FeedKind::Cell => loaded
                .cells
                .iter()
                .find(|(code, _)| code.as_str() == row.entity)
                .map(|(code, feature)| {
                    Ok::<_, String>(Change::Cell {
                        code: code.clone(),
                        feature: parse_json(feature)?,
                    })
                })
                .transpose()?,
            FeedKind::CodeTable => loaded
                .tables
                .iter()
                .find(|(version, _)| *version == row.entity)
                .map(|(version, body)| {
                    Ok::<_, String>(Change::CodeTable {
                        version: version.clone(),
                        table: parse_json(body)?,
                    })
                })
                .transpose()?,
        };
        out.extend(change);
    }
    Ok(out)
}

/// The IDs a page's rows of `kind` name.
pub fn entities<T: std::str::FromStr>(rows: &[FeedRow], kind: FeedKind) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    rows.iter()
        .filter(|r| r.kind == kind)
        .map(|r| {
            r.entity
                .parse()
                .map_err(|e| format!("feed row {:?}: {e}", r.entity))
        })
        .collect()
}

fn report_change(s: &StoredReport) -> Change {
    match s.deleted_at {
        Some(deleted_at) => Change::ReportDeleted {
            id: s.report.id,
            deleted_at,
        },
        None => Change::Report(Box::new(CentralReport {
            report: s.report.clone(),
            version: s.version,
            state: s.state,
            received_at: s.received_at,
            duplicate_of: s.duplicate_of,
            // The note is for the inspector while it says why the report stands where it
            // does; after a resubmission it is history (the console keeps it). A leader's
            // correction at 立案 stays the centre's word on the report from then on; what
            // the department did (its 处置说明) while the inspector checks it, and after.
            note: s.note.clone().filter(|note| {
                matches!(
                    s.state,
                    CaseState::Returned | CaseState::Rejected | CaseState::Merged
                ) || super::corrections::is_correction_note(note)
                    || (matches!(s.state, CaseState::Handled | CaseState::Closed)
                        && Message::from_stored(note).code == code::HANDLED_NOTE)
            }),
            case_no: s.case_no.clone(),
            merged_into: s.merged_into,
        })),
    }
}

fn parse_entity<T: std::str::FromStr>(row: &FeedRow) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    row.entity
        .parse()
        .map_err(|e| format!("feed row {:?}: {e}", row.entity))
}

fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("stored JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(last_seq: u64, horizon: u64) -> FeedPage {
        FeedPage {
            epoch: "e1".into(),
            horizon,
            last_seq,
            rows: vec![],
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let c = Cursor {
            epoch: "0123abcd".into(),
            seq: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()).expect("decodes"), c);
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("e1.x")).is_err());
    }

    #[test]
    fn a_cursor_continues_only_on_the_same_unbroken_feed() {
        let at = |seq| Cursor {
            epoch: "e1".into(),
            seq,
        };
        assert!(check_cursor(&at(5), &page(9, 0)).is_ok());
        assert!(
            check_cursor(&at(5), &page(9, 5)).is_ok(),
            "saw the tombstone"
        );
        assert!(
            check_cursor(&at(4), &page(9, 5))
                .expect_err("too old")
                .contains("forgotten")
        );
        assert!(
            check_cursor(&at(10), &page(9, 0))
                .expect_err("from the future")
                .contains("backup")
        );
        let other = Cursor {
            epoch: "e2".into(),
            seq: 1,
        };
        assert!(
            check_cursor(&other, &page(9, 0))
                .expect_err("another database")
                .contains("another database")
        );
    }

    fn rows(seqs: &[u64]) -> Vec<FeedRow> {
        seqs.iter()
            .map(|&seq| FeedRow {
                seq,
                kind: FeedKind::Report,
                entity: seq.to_string(),
                tombstone: false,
            })
            .collect()
    }

    #[test]
    fn retired_reference_data_comes_as_tombstones_and_components_as_loaded() {
        let component: ComponentInfo = serde_json::from_value(serde_json::json!({
            "id": "4407030102000001", "category": "0102", "cell": "440703001001001",
            "lon": 113.061, "lat": 22.598
        }))
        .expect("component");
        let row = |kind, entity: &str, tombstone| FeedRow {
            seq: 1,
            kind,
            entity: entity.to_owned(),
            tombstone,
        };
        let loaded = Loaded {
            components: vec![component.clone()],
            ..Loaded::default()
        };
        let page = [
            row(FeedKind::Cell, "440703001001009", true),
            row(FeedKind::Component, "4407030102000001", false),
            row(FeedKind::Component, "4407030103000007", true),
            // Not loaded (removed since the page was read): left out.
            row(FeedKind::Component, "4407030103000008", false),
        ];
        let got = changes(&page, &loaded).expect("changes");
        assert_eq!(
            got,
            [
                Change::CellRetired {
                    code: "440703001001009".parse().expect("code")
                },
                Change::Component(Box::new(component)),
                Change::ComponentRetired {
                    id: "4407030103000007".parse().expect("id")
                },
            ]
        );
        assert!(changes(&[row(FeedKind::Cell, "12", true)], &loaded).is_err());
    }

    #[test]
    fn a_page_hands_out_at_most_its_limit_and_the_cursor_stands_after_it() {
        let mut p = page(40, 0);
        p.rows = rows(&[3, 7, 9]);
        let (got, more, next) = window(&p, 2, 1);
        assert_eq!((got.len(), more, next), (2, true, 7), "one more is there");
        let (got, more, next) = window(&p, 3, 1);
        assert_eq!(
            (got.len(), more, next),
            (3, false, 40),
            "read up to the snapshot"
        );
        let empty = page(40, 0);
        assert_eq!(window(&empty, 5, 50).2, 50, "never back");
    }

    #[test]
    fn the_inspector_keeps_a_leaders_correction_note_while_other_notes_pass() {
        let held = |state, note: &str| StoredReport {
            report: gridwalk_protocol::testing::report(),
            state,
            version: 2,
            received_at: chrono::Utc::now(),
            duplicate_of: None,
            deleted_at: None,
            note: Some(note.to_owned()),
            merged_into: None,
            case_no: None,
        };
        let note_of = |s: &StoredReport| match report_change(s) {
            Change::Report(c) => c.note,
            other => panic!("{other:?}"),
        };
        let r = gridwalk_protocol::testing::report();
        let mut to = r.clone();
        to.description = "店外经营".into();
        let corrected = super::super::corrections::note(&r, &to).to_json();
        for state in [
            CaseState::Registered,
            CaseState::Dispatched,
            CaseState::Closed,
        ] {
            assert_eq!(note_of(&held(state, &corrected)), Some(corrected.clone()));
            assert_eq!(
                note_of(&held(state, "请补拍")),
                None,
                "a return's words are history"
            );
        }
        assert_eq!(
            note_of(&held(CaseState::Returned, "请补拍")).as_deref(),
            Some("请补拍")
        );
        // The department's 处置说明 goes to the inspector who checks it, and stays.
        let handled = gridwalk_protocol::message::msg!(
            HANDLED_NOTE,
            department = "环境卫生管理处",
            note = "已清运"
        )
        .to_json();
        for (state, passes) in [
            (CaseState::Handled, true),
            (CaseState::Closed, true),
            (CaseState::Dispatched, false),
        ] {
            assert_eq!(
                note_of(&held(state, &handled)).is_some(),
                passes,
                "{state:?}"
            );
        }
    }
}
