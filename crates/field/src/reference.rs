//! Reference data the engine works against: the category code table and the grid cells.
//! Both are data files loaded at run time (from the fixtures on a demo device, from the
//! centre's change feed once sync lands), never compiled in.

use std::fs;
use std::path::Path;

use gridwalk_protocol::CodeTable;

use crate::error::{Error, Result};
use crate::grid::Grid;

/// The code table and grid a device captures against.
#[derive(Debug)]
pub struct Reference {
    pub codes: CodeTable,
    pub grid: Grid,
}

impl Reference {
    /// Loads `codes.json` and `grid/*.geojson` (all files, merged) from a fixtures directory.
    pub fn load(dir: &Path) -> Result<Self> {
        let read = |p: &Path| fs::read_to_string(p).map_err(|e| Error::io(p, e));
        let codes = CodeTable::from_json(&read(&dir.join("codes.json"))?)
            .map_err(|e| Error::Reference(e.to_string()))?;
        let grid_dir = dir.join("grid");
        let mut files: Vec<_> = fs::read_dir(&grid_dir)
            .map_err(|e| Error::io(&grid_dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "geojson"))
            .collect();
        files.sort();
        let mut features = Vec::new();
        for f in &files {
            let fc: geojson::FeatureCollection = read(f)?
                .parse()
                .map_err(|e| Error::Reference(format!("{}: {e}", f.display())))?;
            features.extend(fc.features);
        }
        let grid = Grid::from_features(features).map_err(|e| Error::Reference(e.to_string()))?;
        Ok(Self { codes, grid })
    }
}
