//! Reference data the engine works against: the category code table and the grid cells.
//! Both are data files loaded at run time, never compiled in: the copy the app carries
//! (the fixtures on a demo device), and over it the cells the centre sends in its change
//! feed (a city's imported grid): a cell the centre sent replaces the carried one with the
//! same code, and one it retired is left out ([`crate::Engine::grid`]).

use std::fs;
use std::path::Path;

use gridwalk_protocol::CodeTable;

use crate::error::{Error, Result};
use crate::grid::Grid;

/// The code table and grid a device captures against.
#[derive(Debug)]
pub struct Reference {
    pub codes: CodeTable,
    /// The carried grid alone (what the app was built with).
    pub grid: Grid,
    /// The carried grid's features, to merge with the centre's cells.
    pub(crate) features: Vec<geojson::Feature>,
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
        let grid =
            Grid::from_features(features.clone()).map_err(|e| Error::Reference(e.to_string()))?;
        Ok(Self {
            codes,
            grid,
            features,
        })
    }

    /// The carried grid with the centre's cells (code, GeoJSON Feature text) over it,
    /// without the cells the centre retired.
    pub(crate) fn grid_with(
        &self,
        centre: &[(String, String)],
        retired: &[String],
    ) -> Result<Grid> {
        if centre.is_empty() && retired.is_empty() {
            return Grid::from_features(self.features.clone())
                .map_err(|e| Error::Reference(e.to_string()));
        }
        let mut by_code: std::collections::BTreeMap<String, geojson::Feature> = self
            .features
            .iter()
            .filter_map(|f| {
                let code = f.property("code")?.as_str()?.to_owned();
                Some((code, f.clone()))
            })
            .collect();
        for (code, text) in centre {
            let feature: geojson::Feature = text
                .parse()
                .map_err(|e| Error::Reference(format!("the centre's cell {code}: {e}")))?;
            by_code.insert(code.clone(), feature);
        }
        for code in retired {
            by_code.remove(code);
        }
        Grid::from_features(by_code.into_values().collect())
            .map_err(|e| Error::Reference(e.to_string()))
    }
}
