//! A device's unfinished uploads: how many it may hold and how many bytes they may declare
//! (bytes in flight), and which of its earlier uploads a new one replaces.
//!
//! One photo has at most one unfinished upload per device: a new upload for it replaces
//! the earlier one (its `Location` was lost in a crash, say), so a device cannot pile up
//! copies of one photo. Past that, a device holds at most [`OpenLimits::uploads`] others,
//! declaring at most [`OpenLimits::bytes`] together with the new one. The store decides
//! this and writes the answer in one transaction that holds the device's row, so requests
//! racing each other are decided one after the other.

use uuid::Uuid;

use super::model::Upload;

/// What one device's unfinished uploads may add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenLimits {
    pub uploads: usize,
    pub bytes: u64,
}

/// Why a new upload is not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crowded {
    /// The device already has this many other unfinished uploads.
    Uploads(usize),
    /// Its other unfinished uploads already declare this many bytes.
    Bytes(u64),
}

/// Admits `new` beside the device's unfinished uploads `open`: the uploads it replaces
/// (those for the same photo), or why it is refused.
///
/// # Errors
/// [`Crowded`], when the others are as many, or would declare as many bytes with `new`,
/// as the limits allow.
/// The upload credential of a console user who uploads photos from the browser (a
/// department's clerk, their after-photos): a device of their own, named by their user ID.
#[must_use]
pub fn console_device(user: gridwalk_protocol::UserId) -> gridwalk_protocol::DeviceId {
    gridwalk_protocol::DeviceId::try_from(*user.as_uuid())
        .unwrap_or_else(|_| unreachable!("a user ID is a UUIDv7, as a device ID is"))
}

/// The token hash of a [`console_device`]: a marker no bearer token hashes to (it is not
/// hex), so the device is reached only through its person's console session.
#[must_use]
pub fn console_device_marker(user: gridwalk_protocol::UserId) -> String {
    format!("console:{user}")
}

pub fn admit(open: &[Upload], new: &Upload, limits: OpenLimits) -> Result<Vec<Uuid>, Crowded> {
    let (same, others): (Vec<&Upload>, Vec<&Upload>) = open
        .iter()
        .partition(|u| u.report == new.report && u.photo == new.photo);
    if others.len() >= limits.uploads {
        return Err(Crowded::Uploads(others.len()));
    }
    let in_flight: u64 = others.iter().map(|u| u.length).sum();
    if in_flight.saturating_add(new.length) > limits.bytes {
        return Err(Crowded::Bytes(in_flight));
    }
    Ok(same.into_iter().map(|u| u.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use gridwalk_protocol::{DeviceId, PhotoId, ReportId};

    fn upload(report: ReportId, photo: PhotoId, length: u64) -> Upload {
        Upload {
            id: Uuid::now_v7(),
            device: DeviceId::new(),
            report,
            photo,
            length,
            received: 0,
            metadata: None,
            created_at: Utc::now(),
            expires_at: Utc::now(),
            completed_at: None,
        }
    }

    #[test]
    fn one_upload_per_photo_and_the_others_within_the_limits() {
        let limits = OpenLimits {
            uploads: 2,
            bytes: 100,
        };
        let (r, p) = (ReportId::new(), PhotoId::new());
        let earlier = upload(r, p, 40);
        let other = upload(ReportId::new(), PhotoId::new(), 40);
        let new = upload(r, p, 40);
        assert_eq!(
            admit(&[earlier.clone(), other.clone()], &new, limits),
            Ok(vec![earlier.id])
        );
        let third = upload(ReportId::new(), PhotoId::new(), 10);
        assert_eq!(
            admit(&[other.clone(), third.clone()], &new, limits),
            Err(Crowded::Uploads(2))
        );
        let big = upload(ReportId::new(), PhotoId::new(), 61);
        assert_eq!(
            admit(std::slice::from_ref(&other), &big, limits),
            Err(Crowded::Bytes(40))
        );
        let fits = upload(ReportId::new(), PhotoId::new(), 60);
        assert_eq!(admit(&[other], &fits, limits), Ok(vec![]));
    }
}
