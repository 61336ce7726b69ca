//! What photos do to a report's state. A report is reviewed only once the centre holds
//! every photo it lists: it waits in `awaiting_photos` until then. Photos arrive on their
//! own (over tus, after the report), and a new version of a report may add or remove
//! photos; either may move the report, and every move is a step of the case loop
//! ([`crate::domain::cases::next`]) written with its case event.

use chrono::{DateTime, Utc};
use gridwalk_protocol::{CaseState, ReportId};
use image::ImageFormat;

use super::cases::{self, Action, NewEvent};
use super::model::Author;

/// The state a report takes on intake: review when every photo it lists is held, else
/// waiting for them.
#[must_use]
pub fn intake_state(all_held: bool) -> CaseState {
    if all_held {
        CaseState::PendingReview
    } else {
        CaseState::AwaitingPhotos
    }
}

/// A change of state with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub to: CaseState,
    pub event: NewEvent,
}

/// The move `action` makes; one into review carries the review's deadline (受理时限,
/// `review_due`: the team leader's step), which becomes the report's step deadline.
fn step(
    id: ReportId,
    from: CaseState,
    action: &Action,
    by: Author,
    at: DateTime<Utc>,
    review_due: Option<DateTime<Utc>>,
) -> Option<Move> {
    let to = cases::next(id, from, action).ok()?;
    Some(Move {
        to,
        event: NewEvent {
            action: action.name(),
            from,
            to,
            by,
            text: None,
            due_at: review_due.filter(|_| to == CaseState::PendingReview),
            step_due: review_due.filter(|_| to == CaseState::PendingReview),
            at,
        },
    })
}

/// What a new version of report `id`, in `state`, does to it: `all_held` says whether the
/// centre holds every photo the version lists, `resubmit` whether its inspector made it
/// (which sends a returned report back to intake); `review_due` is the deadline of a
/// review starting now.
#[must_use]
pub fn after_version(
    id: ReportId,
    state: CaseState,
    all_held: bool,
    resubmit: bool,
    by: Author,
    at: DateTime<Utc>,
    review_due: Option<DateTime<Utc>>,
) -> Option<Move> {
    match state {
        CaseState::Returned if resubmit => {
            let mut m = step(id, state, &Action::Resubmit, by, at, review_due)?;
            // Resubmitted with a photo not held yet: it waits for it before review.
            m.to = intake_state(all_held);
            m.event.to = m.to;
            m.event.due_at = review_due.filter(|_| m.to == CaseState::PendingReview);
            Some(m)
        }
        CaseState::AwaitingPhotos if all_held => {
            step(id, state, &Action::PhotosComplete, by, at, review_due)
        }
        CaseState::PendingReview if !all_held => {
            step(id, state, &Action::PhotosAdded, by, at, review_due)
        }
        _ => None,
    }
}

/// What a photo's arrival does to a report waiting in `state`, now that `all_held` says
/// whether every photo it lists is held. The centre itself makes the move; the review it
/// starts is due by `review_due`.
#[must_use]
pub fn on_arrival(
    id: ReportId,
    state: CaseState,
    all_held: bool,
    at: DateTime<Utc>,
    review_due: Option<DateTime<Utc>>,
) -> Option<Move> {
    if state == CaseState::AwaitingPhotos && all_held {
        step(
            id,
            state,
            &Action::PhotosComplete,
            Author::default(),
            at,
            review_due,
        )
    } else {
        None
    }
}

/// How much of the start of a photo is kept for reading its JPEG headers (EXIF and the
/// like come before the frame header; a camera's are well under this).
pub const JPEG_HEAD: usize = 1024 * 1024;

/// Whether arriving bytes are a whole JPEG of the size a report says, fed piece by piece
/// as they stream past: it keeps the first [`JPEG_HEAD`] bytes (for the headers) and the
/// last two (for the end-of-image marker), never the photo.
#[derive(Debug, Default, Clone)]
pub struct JpegCheck {
    head: Vec<u8>,
    tail: [u8; 2],
    seen: u64,
}

impl JpegCheck {
    /// The next bytes of the photo.
    pub fn feed(&mut self, bytes: &[u8]) {
        let room = JPEG_HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        match bytes {
            [.., a, b] => self.tail = [*a, *b],
            [b] => self.tail = [self.tail[1], *b],
            [] => {}
        }
        self.seen += bytes.len() as u64;
    }

    /// `Ok` if the bytes were a JPEG that ends where it should and, when the report says,
    /// is `width`×`height`; else what is wrong, in words.
    pub fn verdict(&self, width: Option<u32>, height: Option<u32>) -> Result<(), String> {
        if !self.head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err("it is not a JPEG".into());
        }
        if self.seen < 4 || self.tail != [0xFF, 0xD9] {
            return Err("the JPEG is cut short (it has no end-of-image marker)".into());
        }
        let (w, h) =
            image::ImageReader::with_format(std::io::Cursor::new(&self.head), ImageFormat::Jpeg)
                .into_dimensions()
                .map_err(|e| format!("its JPEG headers cannot be read: {e}"))?;
        if let (Some(ww), Some(wh)) = (width, height)
            && (ww, wh) != (w, h)
        {
            return Err(format!("it is {w}×{h}, not {ww}×{wh}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    #[test]
    fn the_last_photo_moves_a_waiting_report_to_review_with_an_event() {
        let id = ReportId::new();
        let at = Utc::now();
        let due = Some(at + chrono::Duration::hours(2));
        let m = on_arrival(id, S::AwaitingPhotos, true, at, due).expect("moves");
        assert_eq!(m.event.due_at, due, "the review's deadline starts now");
        assert_eq!(m.to, S::PendingReview);
        assert_eq!(m.event.action, "photos_complete");
        assert_eq!(
            (m.event.from, m.event.to),
            (S::AwaitingPhotos, S::PendingReview)
        );
        assert_eq!(m.event.by, Author::default(), "the centre moved it");
        assert_eq!(
            on_arrival(id, S::AwaitingPhotos, false, at, due),
            None,
            "one still missing"
        );
        for s in [S::PendingReview, S::Registered, S::Returned, S::Closed] {
            assert_eq!(
                on_arrival(id, s, true, at, due),
                None,
                "{s:?} does not wait for photos"
            );
        }
    }

    #[test]
    fn a_new_version_moves_the_report_by_its_photos() {
        let (id, at, by) = (ReportId::new(), Utc::now(), Author::default());
        let due = Some(at + chrono::Duration::hours(2));
        let added = after_version(id, S::PendingReview, false, true, by, at, due).expect("moves");
        assert_eq!(
            (added.to, added.event.action),
            (S::AwaitingPhotos, "photos_added")
        );
        assert_eq!(
            added.event.due_at, None,
            "waiting on the device, not on a person"
        );
        let removed =
            after_version(id, S::AwaitingPhotos, true, false, by, at, due).expect("moves");
        assert_eq!(
            (removed.to, removed.event.action),
            (S::PendingReview, "photos_complete")
        );
        assert_eq!(
            after_version(id, S::PendingReview, true, true, by, at, due),
            None
        );
        assert_eq!(
            after_version(id, S::AwaitingPhotos, false, true, by, at, due),
            None
        );
    }

    #[test]
    fn an_inspectors_resubmission_sends_a_returned_report_back_to_intake() {
        let (id, at, by) = (ReportId::new(), Utc::now(), Author::default());
        let due = Some(at + chrono::Duration::hours(2));
        let back = after_version(id, S::Returned, true, true, by, at, due).expect("moves");
        assert_eq!((back.to, back.event.action), (S::PendingReview, "resubmit"));
        assert_eq!(back.event.due_at, due);
        let waits = after_version(id, S::Returned, false, true, by, at, due).expect("moves");
        assert_eq!(
            (waits.to, waits.event.to, waits.event.due_at),
            (S::AwaitingPhotos, S::AwaitingPhotos, None)
        );
        assert_eq!(
            after_version(id, S::Returned, true, false, by, at, due),
            None,
            "the centre's own change leaves a returned report with the inspector"
        );
        for s in [
            S::Registered,
            S::Dispatched,
            S::Handled,
            S::Closed,
            S::Rejected,
            S::Merged,
        ] {
            assert_eq!(
                after_version(id, s, false, true, by, at, due),
                None,
                "{s:?}"
            );
        }
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 120, 40]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Jpeg).expect("encodes");
        out.into_inner()
    }

    fn checked(bytes: &[u8], piece: usize) -> JpegCheck {
        let mut c = JpegCheck::default();
        for p in bytes.chunks(piece) {
            c.feed(p);
        }
        c
    }

    #[test]
    fn a_whole_jpeg_of_the_declared_size_passes_in_any_pieces() {
        let photo = jpeg(64, 48);
        for piece in [1, 7, 4096, photo.len()] {
            let c = checked(&photo, piece);
            assert_eq!(c.verdict(Some(64), Some(48)), Ok(()), "pieces of {piece}");
            assert_eq!(c.verdict(None, None), Ok(()));
        }
    }

    #[test]
    fn what_is_not_the_declared_jpeg_is_named() {
        let photo = jpeg(64, 48);
        assert_eq!(
            checked(&photo, 100).verdict(Some(2048), Some(1536)),
            Err("it is 64×48, not 2048×1536".into())
        );
        let html = b"<html><script>alert(1)</script></html>";
        assert_eq!(
            checked(html, 5).verdict(None, None),
            Err("it is not a JPEG".into())
        );
        // Cut to a tenth: no end marker. Cut with FF D9 glued on: the headers still read,
        // so only a decoder finds what is missing; the SHA-256 of the report is the guard.
        let cut = &photo[..photo.len() / 10];
        assert_eq!(
            checked(cut, 3).verdict(Some(64), Some(48)),
            Err("the JPEG is cut short (it has no end-of-image marker)".into())
        );
        let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00];
        fake.extend_from_slice(&[0xFF, 0xD9]);
        let e = checked(&fake, 2)
            .verdict(None, None)
            .expect_err("no frame header");
        assert!(e.contains("headers"), "{e}");
    }
}
