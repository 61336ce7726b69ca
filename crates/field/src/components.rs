//! City components (部件) on the tablet: the 16-digit ID a 部件 report names, taken by
//! scanning the code fixed on the component or by picking the nearest of its 小类.
//!
//! A city keeps its street lights, manhole covers, toilets and billboards on its books, each
//! with an ID (6-digit division, 大类, 小类, 6-digit serial) and a position. The centre sends
//! each device the components standing in its inspector's cells through the feed
//! ([`gridwalk_protocol::Change::Component`], stored by [`crate::sync`]'s pull in
//! `centre_components`), so everything here works offline:
//!
//! - **Scanning** ([`Engine::scan_component`]): Dongguan's 城市服务码 on a component is a QR
//!   code whose text carries the ID (the bare 16 digits, or a URL with them);
//!   [`gridwalk_protocol::component::id_in_scanned_text`] finds it, and the component must
//!   be one this tablet holds. Not finding a code, a code without an ID and an ID this
//!   tablet does not hold are three different refusals, said in words.
//! - **Nearest** ([`Engine::components_near`]): the components of one 小类 ranked by
//!   distance from a position. The database narrows them to a box around the position
//!   (widened until the box holds enough), and [`nearest`] ranks what it found by great-circle
//!   distance; only components inside the circle the box encloses are sure to be ranked
//!   right, so the box grows until the `limit`-th is inside it.
//! - **Taking one** ([`Engine::take_component`]): the component is the physical thing the
//!   inspector stands before, so it decides what the report is: the draft becomes a 部件
//!   report of the component's 小类. A draft that said another category (or was an 事件)
//!   is changed rather than refused, and the answer names what it said before
//!   ([`TakenComponent::replaced_category`]) so the screen can tell the inspector, who can
//!   clear the component and pick again. An empty address takes the component's; the
//!   position stays the inspector's own fix.

use gridwalk_protocol::component::{ComponentInfo, id_in_scanned_text};
use gridwalk_protocol::message::msg;
use gridwalk_protocol::{CategoryCode, ComponentId, Kind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::drafts::{draft_tx, load_tx};
use crate::engine::{Engine, from_json};
use crate::error::{Error, Result};
use crate::local::{DraftPatch, LocalReport};

/// How many nearby components the picker lists unless asked for another number.
pub const NEAR_LIMIT: usize = 10;

/// The first box searched around a position: its half side, in metres.
const FIRST_RADIUS_M: f64 = 250.0;

/// Beyond this half side the box is dropped and every component of the 小类 is ranked (a
/// device holds only its cells' components).
const LAST_RADIUS_M: f64 = 16_000.0;

/// The mean Earth radius (IUGG), in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A component and how far it is from the position asked about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NearComponent {
    pub component: ComponentInfo,
    /// Great-circle distance, in metres.
    pub distance_m: f64,
}

/// A draft after a component was taken for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TakenComponent {
    pub report: LocalReport,
    pub component: ComponentInfo,
    /// The type the draft had when the component changed its type or 小类 (to say so).
    pub replaced_kind: Option<Kind>,
    /// The 小类 the draft had when the component changed its type or 小类.
    pub replaced_category: Option<CategoryCode>,
}

impl Engine {
    /// The component with this ID, if this tablet holds it.
    pub fn component(&self, id: &ComponentId) -> Result<Option<ComponentInfo>> {
        component(&self.db(), id)
    }

    /// The components of `category` nearest to (`lon`, `lat`), nearest first, at most
    /// `limit`.
    pub fn components_near(
        &self,
        category: &CategoryCode,
        lon: f64,
        lat: f64,
        limit: usize,
    ) -> Result<Vec<NearComponent>> {
        if limit == 0 || !lon.is_finite() || !lat.is_finite() {
            return Ok(Vec::new());
        }
        let conn = self.db();
        let mut radius = FIRST_RADIUS_M;
        loop {
            let last = radius > LAST_RADIUS_M;
            let found = in_box(&conn, category, lon, lat, (!last).then_some(radius))?;
            let ranked = nearest(found, lon, lat, limit);
            let sure = ranked
                .get(limit - 1)
                .is_some_and(|n| n.distance_m <= radius);
            if last || sure {
                return Ok(ranked);
            }
            radius *= 4.0;
        }
    }

    /// Finds the component whose QR code (its 城市服务码) is in the camera picture `jpeg`
    /// among this tablet's components. The picture is not kept.
    pub fn scan_component(&self, jpeg: &[u8]) -> Result<ComponentInfo> {
        // The reader says an unreadable picture as a refusal; here nothing was sent anywhere.
        let texts = crate::qr::read_texts(jpeg).map_err(|e| match e {
            Error::Refused(why) => Error::Component(why),
            e => e,
        })?;
        if texts.is_empty() {
            return Err(Error::Component(msg!(COMPONENT_NO_QR)));
        }
        let id = texts
            .iter()
            .find_map(|t| id_in_scanned_text(t))
            .ok_or_else(|| Error::Component(msg!(COMPONENT_NOT_IN_QR)))?;
        self.component(&id)?
            .ok_or_else(|| Error::Component(msg!(COMPONENT_NOT_HERE, id = id)))
    }

    /// Scans the component's code in `jpeg` ([`Engine::scan_component`]) and takes it for
    /// the draft ([`Engine::take_component`]).
    pub fn scan_component_for(
        &self,
        draft: gridwalk_protocol::ReportId,
        jpeg: &[u8],
    ) -> Result<TakenComponent> {
        let found = self.scan_component(jpeg)?;
        self.take_component(draft, &found.id)
    }

    /// Names component `id` (one this tablet holds) on the draft: the draft becomes a 部件
    /// report of the component's 小类 (see the module's doc), and an empty address takes the
    /// component's.
    pub fn take_component(
        &self,
        draft: gridwalk_protocol::ReportId,
        id: &ComponentId,
    ) -> Result<TakenComponent> {
        let mut conn = self.db();
        let found = component(&conn, id)?
            .ok_or_else(|| Error::Component(msg!(COMPONENT_NOT_HERE, id = id)))?;
        let tx = draft_tx(&mut conn, draft)?;
        let current = load_tx(&tx, draft)?;
        let plan = plan_take(&current, &found);
        self.write_fields(&tx, &current, &plan.patch)?;
        let report = load_tx(&tx, draft)?;
        tx.commit()?;
        Ok(TakenComponent {
            report,
            component: found,
            replaced_kind: plan.replaced.as_ref().and_then(|r| r.0),
            replaced_category: plan.replaced.map(|r| r.1),
        })
    }
}

/// What taking a component writes to a draft, and what it replaced.
#[derive(Debug, PartialEq)]
struct TakePlan {
    patch: DraftPatch,
    /// The draft's type and 小类, when the component changes them.
    replaced: Option<(Option<Kind>, CategoryCode)>,
}

fn plan_take(draft: &LocalReport, c: &ComponentInfo) -> TakePlan {
    let same = draft.kind == Some(Kind::Component) && draft.category.as_ref() == Some(&c.category);
    let replaced = match &draft.category {
        Some(category) if !same => Some((draft.kind, category.clone())),
        _ => None,
    };
    let address = c
        .address
        .as_ref()
        .filter(|a| draft.address.trim().is_empty() && !a.trim().is_empty())
        .cloned();
    TakePlan {
        patch: DraftPatch {
            kind: (!same).then_some(Kind::Component),
            category: (!same).then(|| c.category.clone()),
            component_id: Some(Some(c.id.clone())),
            address,
            ..DraftPatch::default()
        },
        replaced,
    }
}

fn component(conn: &Connection, id: &ComponentId) -> Result<Option<ComponentInfo>> {
    conn.query_row(
        "SELECT record FROM centre_components WHERE id = ?1",
        [id.as_str()],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .map(|s| from_json(&s))
    .transpose()
}

/// The components of `category` in the box of half side `radius` metres around the
/// position (all of them without a radius).
fn in_box(
    conn: &Connection,
    category: &CategoryCode,
    lon: f64,
    lat: f64,
    radius: Option<f64>,
) -> Result<Vec<ComponentInfo>> {
    let (dlat, dlon) = radius.map_or((180.0, 360.0), |r| degrees_around(lat, r));
    conn.prepare_cached(
        "SELECT record FROM centre_components
          WHERE category = ?1 AND lat BETWEEN ?2 AND ?3 AND lon BETWEEN ?4 AND ?5",
    )?
    .query_map(
        params![
            category.as_str(),
            lat - dlat,
            lat + dlat,
            lon - dlon,
            lon + dlon
        ],
        |r| r.get::<_, String>(0),
    )?
    .map(|s| from_json(&s?))
    .collect()
}

/// The half sides, in degrees of latitude and of longitude, of a box reaching `radius`
/// metres from a point at latitude `lat` each way.
fn degrees_around(lat: f64, radius: f64) -> (f64, f64) {
    let dlat = (radius / EARTH_RADIUS_M).to_degrees();
    // Near a pole a degree of longitude shrinks to nothing: then every longitude.
    let cos = lat.to_radians().cos();
    let dlon = if cos < 1e-6 {
        360.0
    } else {
        (dlat / cos).min(360.0)
    };
    (dlat, dlon)
}

/// The great-circle distance in metres between two WGS-84 positions (haversine on the mean
/// sphere: within 0.5% of the ellipsoid, plenty to rank components metres apart).
#[must_use]
pub fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The `limit` components nearest to (`lon`, `lat`), nearest first; equally far ones in
/// the order of their IDs, so the list never shuffles between two looks.
#[must_use]
pub fn nearest(
    components: Vec<ComponentInfo>,
    lon: f64,
    lat: f64,
    limit: usize,
) -> Vec<NearComponent> {
    let mut ranked: Vec<NearComponent> = components
        .into_iter()
        .map(|c| NearComponent {
            distance_m: distance_m(lon, lat, c.lon, c.lat),
            component: c,
        })
        .collect();
    ranked.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then_with(|| a.component.id.as_str().cmp(b.component.id.as_str()))
    });
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: &str, lon: f64, lat: f64) -> ComponentInfo {
        ComponentInfo {
            id: id.parse().expect("id"),
            category: id[6..10].parse().expect("category"),
            cell: "440703001001003".parse().expect("cell"),
            lon,
            lat,
            name: None,
            owner: None,
            address: None,
        }
    }

    #[test]
    fn distances_match_known_lengths() {
        // A degree of latitude is about 111.2 km on the mean sphere.
        let d = distance_m(113.0, 22.0, 113.0, 23.0);
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
        // At 22.6°N a degree of longitude is shorter by cos(22.6°).
        let d = distance_m(113.0, 22.6, 114.0, 22.6);
        assert!(
            (d - 111_195.0 * 22.6f64.to_radians().cos()).abs() < 50.0,
            "{d}"
        );
        assert!(distance_m(113.06, 22.59, 113.06, 22.59).abs() < 1e-9);
        // Symmetric.
        let (a, b) = (
            distance_m(113.061, 22.598, 113.0632, 22.5991),
            distance_m(113.0632, 22.5991, 113.061, 22.598),
        );
        assert!((a - b).abs() < 1e-6);
    }

    #[test]
    fn nearest_ranks_by_distance_then_id_and_keeps_the_limit() {
        let (lon, lat) = (113.0631, 22.5983);
        let list = vec![
            at("4407030102000003", lon + 0.0010, lat), // ~103 m east
            at("4407030102000001", lon, lat + 0.0002), // ~22 m north
            at("4407030102000004", lon - 0.0002, lat), // ~20.6 m west
            at("4407030102000002", lon, lat - 0.0002), // ~22 m south, same as north
        ];
        let ranked = nearest(list, lon, lat, 3);
        let ids: Vec<&str> = ranked.iter().map(|n| n.component.id.as_str()).collect();
        assert_eq!(
            ids,
            ["4407030102000004", "4407030102000001", "4407030102000002"]
        );
        assert!((ranked[1].distance_m - 22.2).abs() < 0.2, "{ranked:?}");
        assert!(
            ranked
                .windows(2)
                .all(|w| w[0].distance_m <= w[1].distance_m)
        );
        assert!(nearest(Vec::new(), lon, lat, 3).is_empty());
    }

    #[test]
    fn the_box_reaches_the_radius_every_way() {
        for lat in [0.0, 22.6, 45.0, 70.0] {
            let (dlat, dlon) = degrees_around(lat, 500.0);
            let north = distance_m(113.0, lat, 113.0, lat + dlat);
            let east = distance_m(113.0, lat, 113.0 + dlon, lat);
            assert!((north - 500.0).abs() < 0.5, "{lat}: {north}");
            // The box's side at the point's own latitude is 500 m east.
            assert!((east - 500.0).abs() < 1.0, "{lat}: {east}");
        }
        assert_eq!(degrees_around(90.0, 500.0).1, 360.0);
    }

    fn draft(kind: Option<Kind>, category: Option<&str>, address: &str) -> LocalReport {
        let now = chrono::Utc::now();
        LocalReport {
            id: gridwalk_protocol::ReportId::new(),
            state: crate::ReportState::Draft,
            reporter: gridwalk_protocol::UserId::new(),
            kind,
            category: category.map(|c| c.parse().expect("code")),
            code_table_version: "t".into(),
            component_id: None,
            description: String::new(),
            address: address.into(),
            location: None,
            cell: None,
            location_flags: Vec::new(),
            urgency: gridwalk_protocol::Urgency::Normal,
            observed_at: now.fixed_offset(),
            handled_on_spot: false,
            photos: Vec::new(),
            clips: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
            finalized_at: None,
            centre_note: None,
            central_version: None,
            central_state: None,
        }
    }

    #[test]
    fn taking_a_component_makes_the_draft_a_report_of_its_category() {
        let mut c = at("4407030102000001", 113.06, 22.59);
        c.address = Some("建设路 12 号".into());

        // An empty draft: type and 小类 from the component, its address taken.
        let plan = plan_take(&draft(None, None, ""), &c);
        assert_eq!(plan.patch.kind, Some(Kind::Component));
        assert_eq!(
            plan.patch.category.as_ref().map(|c| c.as_str()),
            Some("0102")
        );
        assert_eq!(plan.patch.component_id, Some(Some(c.id.clone())));
        assert_eq!(plan.patch.address.as_deref(), Some("建设路 12 号"));
        assert_eq!(plan.replaced, None);

        // Already that 小类: only the ID; an address the inspector wrote stays.
        let plan = plan_take(&draft(Some(Kind::Component), Some("0102"), "门口"), &c);
        assert_eq!(
            plan.patch,
            DraftPatch {
                component_id: Some(Some(c.id.clone())),
                ..DraftPatch::default()
            }
        );
        assert_eq!(plan.replaced, None);

        // Another 小类, or an event: changed to the component's, and what it was is said.
        let plan = plan_take(&draft(Some(Kind::Component), Some("0118"), ""), &c);
        assert_eq!(
            plan.patch.category.as_ref().map(|c| c.as_str()),
            Some("0102")
        );
        assert_eq!(
            plan.replaced,
            Some((Some(Kind::Component), "0118".parse().expect("code")))
        );
        let plan = plan_take(&draft(Some(Kind::Event), Some("0102"), ""), &c);
        assert_eq!(plan.patch.kind, Some(Kind::Component));
        assert_eq!(
            plan.replaced,
            Some((Some(Kind::Event), "0102".parse().expect("code")))
        );

        // A type picked without a 小类 yet: nothing to say was replaced.
        let plan = plan_take(&draft(Some(Kind::Event), None, ""), &c);
        assert_eq!(plan.patch.kind, Some(Kind::Component));
        assert_eq!(plan.replaced, None);
    }
}
