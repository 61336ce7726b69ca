//! What the console's city map and the centre's overview screen (大屏) receive.
//!
//! The map is drawn offline, from the centre's own grid: no tile server. Its two layers come
//! separately, because they change at different paces. The grid ([`GridCells`]) is
//! reference data, a GeoJSON FeatureCollection of the cells with the names of their street
//! (街道) and community (社区), read once per page; the reports ([`CaseMap`]) are a compact
//! point per report a work-queue filter matches, read again whenever something changes.
//! The overview ([`Overview`]) is a handful of counts for a wall screen: today's intake,
//! what is open by state and by department, what is overdue, and the problems reported most
//! over the last seven days.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::console::StateCount;
use crate::{CaseState, CategoryCode, CellCode, Kind, ReportId};

/// One report on the map: where it is and what the legend colours it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapPoint {
    pub id: ReportId,
    /// WGS-84 / CGCS2000, as the report was located.
    pub lon: f64,
    pub lat: f64,
    pub state: CaseState,
    pub urgent: bool,
    /// A dispatched case past its deadline (超期).
    pub overdue: bool,
    pub kind: Kind,
    pub category: CategoryCode,
    /// Its case number, once registered (立案).
    pub case_no: Option<String>,
}

/// `GET /v1/console/map`: every report a work-queue filter matches, as points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseMap {
    /// In the filter's order (oldest waiting first unless it says otherwise), so when the
    /// points are cut off it is the end of that order that is missing.
    pub points: Vec<MapPoint>,
    /// How many reports match in all.
    pub total: u64,
    /// More match than the map carries: `points` holds the first of them.
    pub truncated: bool,
}

/// The `type` of a GeoJSON FeatureCollection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// The `type` of a GeoJSON Feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FeatureType {
    Feature,
}

/// The `type` of a GeoJSON Polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PolygonType {
    Polygon,
}

/// `GET /v1/console/grid`: the centre's grid cells as a GeoJSON FeatureCollection
/// (RFC 7946: WGS-84 longitude, latitude), each with its names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GridCells {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    pub features: Vec<GridCell>,
}

/// One grid cell (单元网格) as a GeoJSON Feature, its code as the feature's `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GridCell {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub id: CellCode,
    pub properties: CellNames,
    pub geometry: CellPolygon,
}

/// What a cell is called: its code, and its street's and community's codes (the code's
/// first 9 and 12 digits) and names where the grid has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CellNames {
    pub code: CellCode,
    pub street_code: String,
    pub street_name: Option<String>,
    pub community_code: String,
    pub community_name: Option<String>,
}

/// A cell's outline: a GeoJSON Polygon, the outer ring first, then any holes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CellPolygon {
    #[serde(rename = "type")]
    pub kind: PolygonType,
    /// Rings of `[longitude, latitude]`, each closed (its last position is its first).
    pub coordinates: Vec<Vec<[f64; 2]>>,
}

/// Today's intake and the loop's steps taken today (the centre's local day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TodayCounts {
    /// Reports that reached the centre today (今日上报).
    pub received: u64,
    /// Of those, the urgent ones.
    pub urgent: u64,
    /// Reports registered as cases today (今日立案).
    pub registered: u64,
    /// Cases dispatched today (今日派遣), each once however often it went out.
    pub dispatched: u64,
    /// Cases closed today (今日结案).
    pub closed: u64,
}

/// What one department has on its desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DepartmentLoad {
    /// The department's code in the case rules.
    pub department: String,
    /// Cases dispatched to it and not yet handled (在办).
    pub open: u64,
    /// Of those, past their deadline (超期).
    pub overdue: u64,
}

/// What is late, or nearly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OverdueCounts {
    /// Dispatched cases past their handling deadline (处置超期).
    pub cases: u64,
    /// Dispatched cases due within two hours (即将到期).
    pub due_soon: u64,
    /// Verification tasks (核查) past their deadline and not done.
    pub verifications: u64,
}

/// How often one category of problem was reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CategoryCount {
    pub kind: Kind,
    pub category: CategoryCode,
    pub count: u64,
}

/// `GET /v1/console/overview`: the centre's wall screen (大屏), over what the viewer may
/// oversee (a team leader's team; everything for an operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Overview {
    /// The moment the figures are counted at.
    pub at: DateTime<Utc>,
    /// The centre's local day "today" is (its working calendar's UTC offset).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    pub today: TodayCounts,
    /// Reports not yet settled, by state in the loop's order (every open state, zeros
    /// included): awaiting photos, 待受理, returned, 立案, 派遣, 待核查.
    pub open: Vec<StateCount>,
    /// Every department of the case rules (and any other a case went to), most open first.
    pub departments: Vec<DepartmentLoad>,
    pub overdue: OverdueCounts,
    /// The categories reported most over `week_from..week_to` (高发问题), most first; reports
    /// rejected or merged into another are not counted.
    pub top_categories: Vec<CategoryCount>,
    /// The last seven local days, today included, by when problems were observed.
    pub week_from: DateTime<Utc>,
    pub week_to: DateTime<Utc>,
}
