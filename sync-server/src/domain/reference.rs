//! The reference data decisions are made against: the code tables (by version), the case
//! rules (calendar, departments, time limits) and the grid cells (with their spatial index,
//! for placing reports: [`super::place`]). It is loaded from the store, parsed once, and
//! shared; see [`crate::services::reference`] for when it is loaded again.

use std::collections::BTreeMap;
use std::sync::Arc;

use gridwalk_grid::Grid;
use gridwalk_protocol::{CellCode, CodeTable};

use super::rules::CaseRules;

/// Parsed reference data.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    tables: BTreeMap<String, CodeTable>,
    /// The case rules, once loaded; without them the loop cannot set deadlines.
    pub rules: Option<CaseRules>,
    /// The centre's grid (empty until cells are loaded: every position lies outside it).
    pub grid: Arc<Grid>,
}

impl Reference {
    /// Reference data from stored code table files (version, text) and the case rules'
    /// text, if loaded. A file that does not parse is an error naming it.
    pub fn parse(tables: &[(String, String)], rules: Option<&str>) -> Result<Self, String> {
        let tables = tables
            .iter()
            .map(|(version, body)| {
                CodeTable::from_json(body)
                    .map(|t| (version.clone(), t))
                    .map_err(|e| format!("code table {version}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let rules = rules
            .map(CaseRules::from_json)
            .transpose()
            .map_err(|e| format!("the case rules: {e}"))?;
        Ok(Self {
            tables,
            rules,
            grid: Arc::default(),
        })
    }

    /// Grid cells from their stored GeoJSON Features (code, feature text); a feature that
    /// does not make a cell is an error naming it.
    pub fn parse_grid(cells: &[(CellCode, String)]) -> Result<Grid, String> {
        if cells.is_empty() {
            return Ok(Grid::default());
        }
        let features = cells
            .iter()
            .map(|(code, text)| {
                text.parse::<gridwalk_grid::geojson::Feature>()
                    .map_err(|e| format!("cell {code}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Grid::from_features(features).map_err(|e| e.to_string())
    }

    /// The same reference data placing reports in `grid`.
    #[must_use]
    pub fn with_grid(self, grid: Arc<Grid>) -> Self {
        Self { grid, ..self }
    }

    /// Reference data of already parsed tables and rules.
    #[must_use]
    pub fn new(tables: impl IntoIterator<Item = CodeTable>, rules: Option<CaseRules>) -> Self {
        Self {
            tables: tables
                .into_iter()
                .map(|t| (t.version().to_owned(), t))
                .collect(),
            rules,
            grid: Arc::default(),
        }
    }

    /// The code table of this version, if the centre holds it.
    #[must_use]
    pub fn table(&self, version: &str) -> Option<&CodeTable> {
        self.tables.get(version)
    }

    /// Every code table, by version.
    pub fn tables(&self) -> impl Iterator<Item = &CodeTable> {
        self.tables.values()
    }

    /// Whether a table of this version is held.
    #[must_use]
    pub fn knows(&self, version: &str) -> bool {
        self.tables.contains_key(version)
    }
}
