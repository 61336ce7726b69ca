//! Identifiers. Every record is named by a UUIDv7 generated where the record is born (the
//! device), so IDs are unique without coordination and sort by creation time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error;

macro_rules! uuid7_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "Uuid", into = "Uuid")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name(Uuid);

        impl $name {
            /// A new ID stamped with the current time.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            #[must_use]
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TryFrom<Uuid> for $name {
            type Error = Error;
            fn try_from(u: Uuid) -> Result<Self, Error> {
                if u.get_version_num() == 7 {
                    Ok(Self(u))
                } else {
                    Err(Error::BadId {
                        what: $what,
                        value: u.to_string(),
                        reason: format!("version {} UUID", u.get_version_num()),
                    })
                }
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let u = Uuid::parse_str(s).map_err(|e| Error::BadId {
                    what: $what,
                    value: s.to_owned(),
                    reason: e.to_string(),
                })?;
                Self::try_from(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid7_id!(
    /// A problem report, from draft on the device to case at the centre.
    ReportId,
    "report ID"
);
uuid7_id!(
    /// One photo attached to a report.
    PhotoId,
    "photo ID"
);
uuid7_id!(
    /// One installation of the field app (one local database).
    DeviceId,
    "device ID"
);
uuid7_id!(
    /// A person: inspector, team leader or operator.
    UserId,
    "user ID"
);
uuid7_id!(
    /// A task the centre gives an inspector (a verification, 核查).
    TaskId,
    "task ID"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_v7_and_round_trip() {
        let id = ReportId::new();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        let back: ReportId = id.to_string().parse().expect("parses");
        assert_eq!(back, id);
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(
            serde_json::from_str::<ReportId>(&json).expect("deserialises"),
            id
        );
    }

    #[test]
    fn a_v4_uuid_is_refused_with_its_version() {
        let err = "4f1c2b8e-0d3a-4c55-9f00-1a2b3c4d5e6f"
            .parse::<PhotoId>()
            .expect_err("v4 refused");
        assert!(err.to_string().contains("version 4"), "{err}");
        let err = serde_json::from_str::<PhotoId>("\"4f1c2b8e-0d3a-4c55-9f00-1a2b3c4d5e6f\"")
            .expect_err("v4 refused in JSON");
        assert!(err.to_string().contains("UUIDv7"), "{err}");
    }

    #[test]
    fn garbage_is_refused() {
        let err = "not-a-uuid".parse::<UserId>().expect_err("garbage refused");
        assert!(
            err.to_string().starts_with("user ID \"not-a-uuid\""),
            "{err}"
        );
    }
}
