//! The reference data decisions are made against: the code tables (by version) and the
//! case rules (calendar, departments, time limits). It is loaded from the store, parsed
//! once, and shared; see [`crate::services::reference`] for when it is loaded again.

use std::collections::BTreeMap;

use gridwalk_protocol::CodeTable;

use super::rules::CaseRules;

/// Parsed reference data.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    tables: BTreeMap<String, CodeTable>,
    /// The case rules, once loaded; without them the loop cannot set deadlines.
    pub rules: Option<CaseRules>,
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
        Ok(Self { tables, rules })
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
