//! A city component (部件): one manhole cover, street light, public toilet or billboard the
//! city keeps on its books, known by its 16-digit ID ([`ComponentId`]: 6-digit division,
//! 2-digit 大类, 2-digit 小类, 6-digit serial), imported from the city's component layer.
//!
//! The centre sends each device the components of its user's cells through the feed
//! ([`crate::Change::Component`]), so a 部件 report can take its component ID offline: by
//! scanning the QR code fixed on the component (Dongguan's 城市服务码), or by picking the
//! nearest component of the report's 小类 on the map. A component taken out of the city's
//! books arrives as [`crate::Change::ComponentRetired`].

use serde::{Deserialize, Serialize};

use crate::{CategoryCode, CellCode, ComponentId};

/// A component as the centre holds it, positioned in WGS-84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ComponentInfo {
    pub id: ComponentId,
    /// Its 小类 code, digits 7-10 of its ID.
    pub category: CategoryCode,
    /// The grid cell it stands in.
    pub cell: CellCode,
    pub lon: f64,
    pub lat: f64,
    /// Its name in the city's books (e.g. 污水井盖), when the layer gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who owns or keeps it (权属单位 / 养护单位), when the layer gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Where it stands in words (位置描述), when the layer gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// The component ID in a scanned QR code's text: the code itself, or a 城市服务码 URL or
/// text carrying it (`https://…/qr?code=4419000102000001`). The first run of exactly 16
/// digits (not part of a longer run of digits) is taken; `None` when there is none.
#[must_use]
pub fn id_in_scanned_text(text: &str) -> Option<ComponentId> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 16 {
                return text[start..i].parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_found_in_a_code_a_url_or_a_label() {
        let id = |t: &str| id_in_scanned_text(t).map(|c| c.as_str().to_owned());
        assert_eq!(id("4419000102000001").as_deref(), Some("4419000102000001"));
        assert_eq!(
            id("https://csfwm.dg.gov.cn/s?c=4419000102000001&v=2").as_deref(),
            Some("4419000102000001")
        );
        assert_eq!(
            id("城市服务码 部件:4419000102000001").as_deref(),
            Some("4419000102000001")
        );
        // 15 or 17 digits are not a component ID, nor a 16-digit piece of a longer number.
        assert_eq!(id("441900010200000"), None);
        assert_eq!(id("44190001020000011"), None);
        assert_eq!(id("GW1:abcdef"), None);
        assert_eq!(id(""), None);
        // The first 16-digit run counts, after a shorter number.
        assert_eq!(
            id("v2/123/4419000102000001").as_deref(),
            Some("4419000102000001")
        );
    }

    #[test]
    fn a_component_travels_as_json_without_empty_fields() {
        let c = ComponentInfo {
            id: "4419000102000001".parse().expect("id"),
            category: "0102".parse().expect("code"),
            cell: "441900001001001".parse().expect("cell"),
            lon: 113.75,
            lat: 23.02,
            name: Some("污水井盖".into()),
            owner: None,
            address: None,
        };
        let text = serde_json::to_string(&c).expect("json");
        assert!(!text.contains("owner"), "{text}");
        assert_eq!(
            serde_json::from_str::<ComponentInfo>(&text).expect("back"),
            c
        );
    }
}
