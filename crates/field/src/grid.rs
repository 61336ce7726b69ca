//! Grid lookup on the device: the shared lookup ([`gridwalk_grid`], the same code the centre
//! places reports with) and the cell outlines the map draws.

use gridwalk_protocol::CellCode;
use serde::Serialize;

pub use gridwalk_grid::{Cell, CellAssignment, Grid, MAX_ACCURACY_M};

/// A cell as the map draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CellOutline {
    pub code: CellCode,
    pub street_name: Option<String>,
    pub community_name: Option<String>,
    /// Whether the signed-in inspector is responsible for it.
    pub mine: bool,
    /// The outer boundary, `[lon, lat]` pairs (WGS-84), closed.
    pub ring: Vec<[f64; 2]>,
}

/// Every cell's outline, the inspector's own marked.
#[must_use]
pub fn outlines(grid: &Grid, my_cells: &[CellCode]) -> Vec<CellOutline> {
    grid.cells()
        .map(|c| CellOutline {
            code: c.code.clone(),
            street_name: c.street_name.clone(),
            community_name: c.community_name.clone(),
            mine: my_cells.contains(&c.code),
            ring: c.polygon.exterior().coords().map(|p| [p.x, p.y]).collect(),
        })
        .collect()
}
