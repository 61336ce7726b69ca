//! The category code table (部件/事件 → 大类 → 小类).
//!
//! Cities extend the national lists and a newer standard is replacing the old one, so the
//! table is data, loaded from a file, and every report keeps the table version it was filed
//! under. A category is identified by its kind *and* its four-digit code: 部件 0101 (上水井盖)
//! and 事件 0101 (私搭乱建) are different things.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Component (部件: a physical thing in the street) or event (事件: something happening).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Kind {
    Component,
    Event,
}

impl Kind {
    /// The name inspectors use.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Kind::Component => "部件",
            Kind::Event => "事件",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Component => "component",
            Kind::Event => "event",
        })
    }
}

/// A category code: 2-digit major class (大类) followed by the minor class (小类) — 2 digits
/// in the GB/T 30428.2 lineage, 3 digits in the newer 城市运行管理服务平台 codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct CategoryCode(String);

impl CategoryCode {
    /// The major class (大类), two digits.
    #[must_use]
    pub fn major(&self) -> &str {
        &self.0[..2]
    }

    /// The minor class (小类), two digits.
    #[must_use]
    pub fn minor(&self) -> &str {
        &self.0[2..]
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CategoryCode {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        if (s.len() == 4 || s.len() == 5) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s))
        } else {
            Err(Error::BadCode {
                what: "category code",
                value: s,
                digits: "4 or 5",
            })
        }
    }
}

impl std::str::FromStr for CategoryCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::try_from(s.to_owned())
    }
}

impl From<CategoryCode> for String {
    fn from(c: CategoryCode) -> String {
        c.0
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One leaf of the table: what an inspector picks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Category {
    pub kind: Kind,
    pub code: CategoryCode,
    pub major_name: String,
    pub name: String,
    pub name_en: Option<String>,
}

/// The file format: kinds → majors → minors, as in the standard's own layout.
#[derive(Debug, Deserialize)]
struct TableFile {
    version: String,
    kinds: Vec<KindFile>,
}

#[derive(Debug, Deserialize)]
struct KindFile {
    kind: Kind,
    majors: Vec<MajorFile>,
}

#[derive(Debug, Deserialize)]
struct MajorFile {
    code: String,
    name: String,
    minors: Vec<MinorFile>,
}

#[derive(Debug, Deserialize)]
struct MinorFile {
    code: String,
    name: String,
    #[serde(default)]
    name_en: Option<String>,
}

/// A versioned category code table.
#[derive(Debug, Clone)]
pub struct CodeTable {
    version: String,
    entries: BTreeMap<(Kind, CategoryCode), Category>,
}

impl CodeTable {
    /// Parses the JSON fixture format; duplicate or malformed codes are refused.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let file: TableFile =
            serde_json::from_str(text).map_err(|e| Error::CodeTable(e.to_string()))?;
        if file.version.trim().is_empty() {
            return Err(Error::CodeTable("the table has no version".into()));
        }
        let mut entries = BTreeMap::new();
        for kind in file.kinds {
            for major in kind.majors {
                for minor in major.minors {
                    let code = CategoryCode::try_from(format!("{}{}", major.code, minor.code))
                        .map_err(|e| Error::CodeTable(e.to_string()))?;
                    let cat = Category {
                        kind: kind.kind,
                        code: code.clone(),
                        major_name: major.name.clone(),
                        name: minor.name,
                        name_en: minor.name_en,
                    };
                    if entries.insert((kind.kind, code.clone()), cat).is_some() {
                        return Err(Error::CodeTable(format!(
                            "{} {code} appears twice",
                            kind.kind
                        )));
                    }
                }
            }
        }
        if entries.is_empty() {
            return Err(Error::CodeTable("the table has no categories".into()));
        }
        Ok(Self {
            version: file.version,
            entries,
        })
    }

    /// The table's version, recorded on every report filed under it.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The category with this kind and code, if the table has it.
    #[must_use]
    pub fn get(&self, kind: Kind, code: &CategoryCode) -> Option<&Category> {
        self.entries.get(&(kind, code.clone()))
    }

    /// Every category, ordered by kind then code.
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.entries.values()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SMALL: &str = r#"{"version":"T1","kinds":[
        {"kind":"component","majors":[{"code":"01","name":"公用设施","minors":[
            {"code":"01","name":"上水井盖"},{"code":"02","name":"污水井盖"}]}]},
        {"kind":"event","majors":[{"code":"04","name":"突发事件","minors":[
            {"code":"01","name":"路面塌陷","name_en":"Road collapse"}]}]}]}"#;

    #[test]
    fn parses_and_separates_kinds() {
        let t = CodeTable::from_json(SMALL).expect("parses");
        assert_eq!(t.version(), "T1");
        assert_eq!(t.len(), 3);
        let code: CategoryCode = "0101".parse().expect("code");
        assert_eq!(
            t.get(Kind::Component, &code).map(|c| c.name.as_str()),
            Some("上水井盖")
        );
        assert!(t.get(Kind::Event, &code).is_none());
        let collapse = t
            .get(Kind::Event, &"0401".parse().expect("code"))
            .expect("found");
        assert_eq!(collapse.major_name, "突发事件");
    }

    #[test]
    fn duplicates_and_bad_codes_are_refused() {
        let dup = SMALL.replace(
            r#""code":"02","name":"污水井盖""#,
            r#""code":"01","name":"x""#,
        );
        let err = CodeTable::from_json(&dup).expect_err("duplicate");
        assert!(
            err.to_string().contains("component 0101 appears twice"),
            "{err}"
        );
        let bad = SMALL.replace(r#""code":"02""#, r#""code":"2""#);
        let err = CodeTable::from_json(&bad).expect_err("bad code");
        assert!(
            err.to_string()
                .contains("\"012\" must be exactly 4 or 5 digits"),
            "{err}"
        );
    }

    #[test]
    fn category_code_shape() {
        assert!("01a1".parse::<CategoryCode>().is_err());
        assert!("010111".parse::<CategoryCode>().is_err());
        let newer: CategoryCode = "01012".parse().expect("5-digit code");
        assert_eq!((newer.major(), newer.minor()), ("01", "012"));
        let c: CategoryCode = "0512".parse().expect("ok");
        assert_eq!((c.major(), c.minor()), ("05", "12"));
    }
}
