//! A grid file as the device imports it (a GeoJSON FeatureCollection of cells), then the
//! lookups every capture makes on it (the shared `gridwalk-grid` code the centre places
//! reports with too), at points in and around the cells, and the outlines the map draws.
#![no_main]

use gridwalk_field::grid::{self, Grid};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(grid) = Grid::from_geojson(text) else {
        return;
    };
    let points = grid
        .cells()
        .take(4)
        .flat_map(|c| c.polygon.exterior().points().take(2))
        .map(|p| (p.x(), p.y()))
        .chain([(113.08, 22.58), (0.0, 0.0), (-180.0, 90.0)]);
    for (lon, lat) in points {
        let _ = grid.cell_at(lon, lat);
        let _ = grid.nearest(lon, lat);
        let _ = grid.assign(lon, lat, 10.0, 50.0, &[]);
    }
    let _ = grid::outlines(&grid, &[]);
});
