//! The central case store: what the server persists, as traits by area, written once in
//! SQL ([`sql`]) and run on either database.
//!
//! - [`DeviceStore`]: people and their enrolled devices.
//! - [`SessionStore`]: console passwords and sign-in sessions.
//! - [`ReferenceStore`]: code tables, grid cells and named documents (the case rules).
//! - [`ReportStore`]: a device's push, the reports and their versions, central changes,
//!   the case loop's steps and conflict resolutions: every write to a report.
//! - [`UploadStore`]: photo slots and tus uploads.
//! - [`FeedStore`]: the change feed back to devices.
//! - [`ConsoleStore`]: what the console reads.
//! - [`MapStore`]: what the city map and the overview screen read.
//! - [`IntegrityStore`]: the hash chains and held blobs, read back to be verified.
//! - [`PortStore`]: reports filed by the centre's other ports, and their callbacks.
//!
//! [`CaseStore`] is their union; handlers and services see `Arc<dyn CaseStore>`, chosen once
//! at start-up from the database URL: [`sqlite::SqliteStore`] (embedded, the default) or
//! [`postgres::PgStore`]. Every area is implemented once, for any [`sql::Database`]; the two
//! backends only run SQL. Each write is one transaction that locks and loads what the
//! decision needs, asks [`crate::domain`], and writes the answer.

pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    CaseEvent, Conflict, ConsoleReport, DeviceRow, IntakeHealth, ReportPage, Task,
};
use gridwalk_protocol::map::MapPoint;
use gridwalk_protocol::{
    CellCode, DeviceId, MutationId, PhotoId, PhotoNeed, QueueStats, Report, ReportId, ReportPatch,
    TaskId, UserId, Version,
};
use uuid::Uuid;

use crate::domain::cases::{StepRequest, Stepped};
use crate::domain::chain::ReportChains;
use crate::domain::conflicts::Resolution;
use crate::domain::model::{
    AdminAct, Appended, ArrivedPhoto, CaseFacts, Device, DeviceEntry, FeedPage, PhotoSlot,
    ReportFilter, ReportVersion, SignedMutation, StoredReport, Upload, UploadPart, User,
};
use crate::domain::overview::{OverviewAsk, OverviewCounts};
use crate::domain::push::{Applied, Effect};
use crate::domain::reference::Reference;

/// Reports filed by the centre's other ports ([`crate::domain::ports`]), and the
/// deliveries of their callbacks.
#[async_trait]
pub trait PortStore: Send + Sync {
    /// Files a port's report in one transaction (calls from one port one at a time): a
    /// repeat of an earlier call is answered as it was, a reused key or reference refused;
    /// a new report waits for its on-site check, given to an inspector of its cell.
    async fn file_report(
        &self,
        filing: crate::domain::ports::Filing,
        reference: Arc<Reference>,
    ) -> StoreResult<crate::domain::ports::Filed>;
    /// One of a port's reports, as the port is told of it; none if it is not the port's.
    async fn port_report(
        &self,
        account: UserId,
        report: ReportId,
    ) -> StoreResult<Option<gridwalk_protocol::intake::IntakeAnswer>>;
    /// Registers (or with `None` removes) a port's callback.
    async fn set_callback(
        &self,
        account: UserId,
        setting: Option<gridwalk_protocol::intake::CallbackSetting>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn callback(
        &self,
        account: UserId,
    ) -> StoreResult<gridwalk_protocol::intake::CallbackInfo>;
    /// The newest deliveries first, of one port or all.
    async fn deliveries(
        &self,
        account: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<gridwalk_protocol::intake::Delivery>>;
    /// Claims up to `limit` deliveries due at `now` (each the oldest still owed of its
    /// report) until `lease` (another server takes them only after), for one attempt each.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::domain::ports::Outgoing>>;
    /// Records how an attempt went.
    async fn record_attempt(&self, attempt: &crate::domain::ports::Attempt) -> StoreResult<()>;
}

/// Storage errors: the database failed, what it holds cannot be read, or what was asked
/// does not fit what is held.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed; `source` says how.
    #[error("{what}: {source}")]
    Database {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// What the database holds cannot be read as what it should be.
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("not found: {0}")]
    NotFound(gridwalk_protocol::Message),
    /// The write expected another version than the one held (someone changed it first).
    #[error("{0}")]
    Stale(gridwalk_protocol::Message),
    /// A value the database cannot hold (a number too large).
    #[error("{0}")]
    Invalid(gridwalk_protocol::Message),
    /// One step of a unit of several was refused, in words; nothing of the unit was
    /// written.
    #[error("{0}")]
    Refused(gridwalk_protocol::Message),
}

impl StoreError {
    /// A database failure while doing `what`.
    pub fn database(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Database {
            what: what.into(),
            source: Box::new(source),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A device's backlog and app, as its push reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub app_version: String,
    /// The device's maker and model, when it says (kept from before when it does not).
    pub model: Option<String>,
    pub queue: QueueStats,
    pub at: DateTime<Utc>,
}

/// What a push did: an answer per mutation (stopping at a gap) and the device's last
/// applied number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushApplied {
    pub answers: Vec<Applied>,
    pub last_applied: MutationId,
}

/// People and their devices.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Creates or updates a user by login.
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        self.put_users(std::slice::from_ref(user)).await
    }
    /// Creates or updates users by login, all in one transaction or none.
    async fn put_users(&self, users: &[User]) -> StoreResult<()>;
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Enrolls (or re-enrolls, replacing its token) a device for a user.
    async fn enroll_device(
        &self,
        device: DeviceId,
        user: UserId,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Keeps a one-time enrollment code (its SHA-256) for `user`, and `act` in the
    /// administrative chain, in one transaction.
    async fn create_enrollment_code(
        &self,
        code_sha256: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
        act: &AdminAct,
    ) -> StoreResult<()>;
    /// Redeems a one-time code in one transaction: unless it is unknown, used or expired
    /// ([`crate::domain::enrollment::judge`]), marks it used, enrolls `device` for its
    /// inspector with `token_sha256` and `public_key` bound, and records `act` as done by
    /// the code's maker, its detail naming the inspector and the tablets still holding work. A refused code changes nothing;
    /// of two redemptions of one code, one enrolls and the other finds it used.
    async fn redeem_enrollment_code(
        &self,
        code_sha256: &str,
        device: DeviceId,
        token_sha256: &str,
        public_key: &str,
        act: &AdminAct,
    ) -> StoreResult<crate::domain::enrollment::Redeemed>;
    /// The device a token belongs to, unless the device is revoked or its person disabled.
    async fn device_by_token(&self, token_sha256: &str) -> StoreResult<Option<Device>>;
    /// The signing key bound to a device (base64), if one is.
    async fn device_key(&self, device: DeviceId) -> StoreResult<Option<String>>;
    /// Binds `key` to a device that has none; returns the key bound afterwards (`key`, or
    /// the different one bound before). Enrolling the device again unbinds it.
    async fn bind_device_key(
        &self,
        device: DeviceId,
        key: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>>;
    /// The highest mutation number applied for a device.
    async fn last_applied(&self, device: DeviceId) -> StoreResult<MutationId>;
    /// Stops a device's token working (a lost or retired tablet); `false` if there is no
    /// such device. Re-enrolling it gives it a new token and undoes this.
    async fn revoke_device(&self, device: DeviceId, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Stops a person's devices and console sessions working; `false` if there is no such
    /// person. Their records stay.
    async fn disable_user(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Lets a disabled person work again (their old sessions stay ended); `false` when
    /// there is no such person.
    async fn enable_user(&self, user: UserId) -> StoreResult<bool>;
    /// Every person, with when they were disabled (if they were).
    async fn users(&self) -> StoreResult<Vec<(User, Option<DateTime<Utc>>)>>;
    /// The service accounts that file for `source`, with when they were disabled.
    async fn service_accounts(
        &self,
        source: gridwalk_protocol::intake::Source,
    ) -> StoreResult<Vec<(User, Option<DateTime<Utc>>)>>;
    /// Every device, with its person's login.
    async fn devices(&self) -> StoreResult<Vec<DeviceEntry>>;
    /// Records an administrative act.
    async fn record_admin_act(&self, act: &AdminAct) -> StoreResult<()>;
    /// The latest administrative acts, newest first.
    async fn admin_acts(&self, limit: u32) -> StoreResult<Vec<AdminAct>>;
}

/// Console passwords and sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Sets (or with `None` clears) a person's console password hash.
    async fn set_password(&self, user: UserId, hash: Option<&str>) -> StoreResult<()>;
    /// A person and their password hash, by login (none for a disabled person).
    async fn password_hash(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>>;
    /// Opens a session (and forgets those already over).
    async fn create_session(
        &self,
        token_sha256: &str,
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The person a session belongs to and when it was last used, if it has not expired
    /// by `now` and the person is not disabled.
    async fn session_user(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(User, DateTime<Utc>)>>;
    /// Notes that a session was used at `at`.
    async fn touch_session(&self, token_sha256: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn end_session(&self, token_sha256: &str) -> StoreResult<()>;
    /// Records a sign-in attempt.
    async fn record_sign_in(
        &self,
        login: &str,
        address: &str,
        ok: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Failed sign-ins since `since`: for this login, and from this address (wrong
    /// enrollment codes, recorded under [`crate::domain::enrollment::THROTTLE_KEY`], and
    /// wrong passwords each counted only with their own kind).
    async fn sign_in_failures(
        &self,
        login: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(u64, u64)>;
}

/// Which state of the stored grid cells a copy was read from: how many there are and the
/// feed number of the newest change to one (every change to a cell takes a new number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellsStamp {
    pub count: u64,
    pub last_change: u64,
}

/// What [`ReferenceStore::put_cells`] did. Retired cells (a redrawn grid leaves them out)
/// are deleted with their components and the devices of their inspectors told
/// (tombstones); reports filed in them keep their codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CellsPut {
    pub stored: usize,
    pub retired: usize,
    /// Components of the retired cells, retired with them.
    pub components_retired: usize,
}

/// Reference data.
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// Stores a code table file's text under its version; devices get it in the feed.
    async fn put_code_table(&self, version: &str, body: &str, at: DateTime<Utc>)
    -> StoreResult<()>;
    /// Every stored code table file (version, text), by version.
    async fn code_tables(&self) -> StoreResult<Vec<(String, String)>>;
    /// Stores grid cells (code, GeoJSON Feature text), replacing those with the same code,
    /// and retires `retire` (see [`Self::retire_cells`]), in one transaction.
    async fn put_cells(
        &self,
        cells: &[(CellCode, String)],
        retire: &[CellCode],
        at: DateTime<Utc>,
    ) -> StoreResult<CellsPut>;
    /// Grid cells (code, GeoJSON Feature text) with these codes.
    async fn cells(&self, codes: &[String]) -> StoreResult<Vec<(CellCode, String)>>;
    /// Every grid cell (code, GeoJSON Feature text) and the stamp of what was read; only
    /// the stamp when it is `unless` (the caller's copy is current).
    async fn all_cells(
        &self,
        unless: Option<CellsStamp>,
    ) -> StoreResult<(CellsStamp, Option<Vec<(CellCode, String)>>)>;
    /// Stores components (replacing those with the same ID) and retires `retire`, in one
    /// transaction; the devices of each one's cell get it through the feed. A component
    /// moved to another cell reaches the new cell's devices; the old cell's keep their copy.
    async fn put_components(
        &self,
        components: &[gridwalk_protocol::ComponentInfo],
        retire: &[gridwalk_protocol::ComponentId],
        at: DateTime<Utc>,
    ) -> StoreResult<usize>;
    /// The components with these IDs that are held.
    async fn components(
        &self,
        ids: &[String],
    ) -> StoreResult<Vec<gridwalk_protocol::ComponentInfo>>;
    /// The IDs of every component held whose ID starts with one of `prefixes` (a
    /// district's six digits).
    async fn component_ids(&self, prefixes: &[String]) -> StoreResult<Vec<String>>;
    /// Stores a named document (the case rules), replacing an older one.
    async fn put_document(&self, name: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn document(&self, name: &str) -> StoreResult<Option<String>>;
    /// The code tables and the case rules, read together.
    async fn reference_texts(&self) -> StoreResult<(Vec<(String, String)>, Option<String>)>;
}

/// Every write to a report, and reading reports back.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Applies a device's consecutive mutations, each with its decided effect, in one
    /// transaction: the domain writes, the recorded answers, the device's new
    /// `last_applied` and what it said of itself (`seen`) commit together or not at all.
    /// Answers come back in order and stop at the first gap; a push that stops at a gap
    /// records nothing of the device. The signatures of the mutations applied now
    /// (`signed`) are kept with them and with the versions and events they produce.
    async fn apply(
        &self,
        device: DeviceId,
        batch: Vec<(MutationId, Effect)>,
        signed: Vec<SignedMutation>,
        seen: Seen,
        reference: Arc<Reference>,
    ) -> StoreResult<PushApplied>;

    async fn report(&self, id: ReportId) -> StoreResult<Option<StoredReport>>;
    /// The reports with these IDs that exist, in no particular order.
    async fn reports(&self, ids: &[ReportId]) -> StoreResult<Vec<StoredReport>>;
    async fn report_count(&self) -> StoreResult<u64>;

    /// Writes `record` as the next version of its report, if the report is at
    /// `expected_version` (else [`StoreError::Stale`]); `patch` is what changed. The
    /// report's photos follow the record.
    async fn write_version(
        &self,
        record: &Report,
        expected_version: Version,
        patch: &ReportPatch,
        by: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<Version>;
    /// Removes a report at the centre: it stays, marked deleted, and devices get a tombstone.
    async fn delete_report(&self, id: ReportId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Applies one step of the case loop in one transaction.
    async fn step(&self, step: &StepRequest, reference: Arc<Reference>) -> StoreResult<Stepped>;
    /// Applies several steps in one transaction, all or none: each report's row is locked
    /// first (in ID order, with the merge target's), then the steps are taken in order; the
    /// first refused rolls everything back and comes back as [`StoreError::Refused`].
    async fn steps(
        &self,
        steps: &[StepRequest],
        reference: Arc<Reference>,
    ) -> StoreResult<Vec<Stepped>>;
    /// Writes a resolution: the report's next version and the conflict marked resolved,
    /// in one transaction, if neither changed since it was decided (else
    /// [`StoreError::Stale`]). Returns the report's version.
    async fn resolve_conflict(&self, r: &Resolution) -> StoreResult<Version>;
}

/// Photos and their uploads.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// What `device`'s report `report` (or a task it completed on it) says photo `photo`
    /// must be; `None` if nothing this device sent for its present person lists it (a
    /// device enrolled anew for someone else cannot upload for its earlier person).
    async fn photo_slot(
        &self,
        device: &Device,
        report: ReportId,
        photo: PhotoId,
    ) -> StoreResult<Option<PhotoSlot>>;
    /// For each photo ID, whether the centre still needs its bytes from `device`.
    async fn photo_needs(
        &self,
        device: DeviceId,
        photos: &[PhotoId],
    ) -> StoreResult<Vec<(PhotoId, PhotoNeed)>>;
    async fn create_upload(&self, upload: &Upload) -> StoreResult<()>;
    /// `device`'s unfinished uploads that have not expired by `now`.
    async fn open_uploads(&self, device: DeviceId, now: DateTime<Utc>) -> StoreResult<Vec<Upload>>;
    /// Records a new unfinished upload if its device may hold it beside its others
    /// ([`crate::domain::uploads::admit`], decided holding the device's row, so racing
    /// creations are decided one after the other), removing the uploads it replaces;
    /// returns their IDs (their stored parts are the caller's to delete), or why not.
    async fn open_upload(
        &self,
        upload: &Upload,
        limits: crate::domain::uploads::OpenLimits,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<Vec<Uuid>, crate::domain::uploads::Crowded>>;
    async fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>>;
    /// The parts recorded so far, in order.
    async fn upload_parts(&self, id: Uuid) -> StoreResult<Vec<UploadPart>>;
    /// Records `part` if it starts where the upload stands, and renews its expiry, in one
    /// transaction. With `arrived`, the part completes the upload instead: its part records
    /// are dropped (the bytes are in the photo now), the blob is recorded as held, every
    /// report and task photo with its SHA-256 is marked arrived, and each report waiting for
    /// photos that now has them all moves on to review ([`crate::domain::photos`]).
    async fn append_upload(
        &self,
        id: Uuid,
        part: &UploadPart,
        expires_at: DateTime<Utc>,
        arrived: Option<&ArrivedPhoto>,
    ) -> StoreResult<Appended>;
    /// Deletes an upload and its part records (the caller removes the objects).
    async fn delete_upload(&self, id: Uuid) -> StoreResult<()>;
    /// Uploads whose expiry has passed, finished or not.
    async fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>>;
}

/// The change feed.
#[async_trait]
pub trait FeedStore: Send + Sync {
    /// Up to `limit` feed rows after `after` that `user` (with `cells`) may see, in order,
    /// with the feed's state, in one snapshot.
    async fn feed(
        &self,
        user: UserId,
        cells: &[CellCode],
        after: u64,
        limit: usize,
    ) -> StoreResult<FeedPage>;
    /// Forgets tombstones written before `before`; cursors older than the newest of them
    /// must then resync. Returns how many were forgotten.
    async fn prune_feed(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// What the console reads.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    /// One page of a work queue: the reports `filter` asks for, in its order, after its
    /// cursor, with their reporter, arrived photos and case; where the next page starts,
    /// and how many match in all (counted up to [`crate::domain::queue::COUNT_CAP`]).
    async fn console_reports(&self, filter: &ReportFilter) -> StoreResult<ReportPage>;
    /// The newest change-feed number: it moves whenever a report, a case or a task
    /// changes, so a watcher that sees it move knows its lists may be stale.
    async fn change_mark(&self) -> StoreResult<u64>;
    /// These reports, as [`ConsoleStore::console_reports`] shows them, oldest first.
    async fn console_reports_by_id(&self, ids: &[ReportId]) -> StoreResult<Vec<ConsoleReport>>;
    /// Reports related to this one: the one it likely duplicates, those that likely
    /// duplicate it or the same one (its ≈ cluster), and those merged into it.
    async fn related_reports(&self, id: ReportId) -> StoreResult<Vec<ReportId>>;
    /// Every version of a report, oldest first.
    async fn report_versions(&self, id: ReportId) -> StoreResult<Vec<ReportVersion>>;
    /// The steps of the loop a report went through, oldest first.
    async fn case_events(&self, id: ReportId) -> StoreResult<Vec<CaseEvent>>;
    /// The tasks about a report, oldest first.
    async fn report_tasks(&self, id: ReportId) -> StoreResult<Vec<Task>>;
    /// The after-photos a department declared at 处置完成, oldest first.
    async fn handling_photos(&self, id: ReportId) -> StoreResult<Vec<gridwalk_protocol::PhotoRef>>;
    async fn task(&self, id: TaskId) -> StoreResult<Option<Task>>;
    /// What the evaluation of `from..to` counts: the reports observed in it, and those
    /// whose case or verification task may fall due in it (a superset; the evaluation
    /// decides exactly).
    async fn case_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseFacts>>;
    /// Every enrolled device with its owner, last contact and backlog.
    async fn device_board(&self) -> StoreResult<Vec<DeviceRow>>;
    /// How intake is going.
    /// How intake is going, over one team's reports, devices and people (all with `None`).
    async fn intake_health(&self, team: Option<&str>) -> StoreResult<IntakeHealth>;
    /// The reports (and verifications of reports) that list a photo with this SHA-256 and
    /// hold it: their own inspector uploaded those bytes (naming a hash is not enough).
    async fn reports_with_photo(&self, sha256: &str) -> StoreResult<Vec<ReportId>>;
    /// The conflicts opened on a report, oldest first.
    async fn conflicts(&self, report: ReportId) -> StoreResult<Vec<Conflict>>;
    /// Conflicts waiting for an operator, oldest first.
    async fn open_conflicts(&self) -> StoreResult<Vec<Conflict>>;
    async fn conflict(&self, id: Uuid) -> StoreResult<Option<Conflict>>;
}

/// What the city map and the centre's overview read ([`crate::domain::map`],
/// [`crate::domain::overview`]).
#[async_trait]
pub trait MapStore: Send + Sync {
    /// The reports `filter` matches that have a position, as map points in its order (at
    /// most `filter.limit`; overdue judged at `filter.now`; its cursor is not used), and
    /// how many match in all.
    async fn map_points(&self, filter: &ReportFilter) -> StoreResult<(Vec<MapPoint>, u64)>;
    /// The overview's counts, in one snapshot.
    async fn overview_counts(&self, ask: &OverviewAsk) -> StoreResult<OverviewCounts>;
}

/// The hash chains as stored, to be verified ([`crate::domain::chain`]).
#[async_trait]
pub trait IntegrityStore: Send + Sync {
    /// Up to `limit` reports after `after` (by ID), each with its row, seal and chains.
    async fn report_chains(
        &self,
        after: Option<ReportId>,
        limit: usize,
    ) -> StoreResult<Vec<ReportChains>>;
    /// One report's row, seal and chains.
    async fn report_chain(&self, id: ReportId) -> StoreResult<Option<ReportChains>>;
    /// The administrative acts as chain links, in number order, and the chain's head as
    /// recorded (number and hash).
    async fn admin_chain(&self) -> StoreResult<(Vec<gridwalk_evidence::chain::Link>, i64, String)>;
    /// The signed mutations that made one report's versions and case events, as kept.
    async fn report_signatures(
        &self,
        id: ReportId,
    ) -> StoreResult<Vec<gridwalk_evidence::signatures::SignedMutation>>;
    /// Every photo blob the centre holds: SHA-256 and size.
    async fn held_blobs(&self) -> StoreResult<Vec<(String, u64)>>;
    /// The report registered under a case number (立案编号).
    async fn report_by_case(&self, case_no: &str) -> StoreResult<Option<ReportId>>;
}

/// Everything the server persists.
pub trait CaseStore:
    PortStore
    + DeviceStore
    + SessionStore
    + ReferenceStore
    + ReportStore
    + UploadStore
    + FeedStore
    + ConsoleStore
    + MapStore
    + IntegrityStore
    + std::fmt::Debug
{
}

impl<T> CaseStore for T where
    T: PortStore
        + DeviceStore
        + SessionStore
        + ReferenceStore
        + ReportStore
        + UploadStore
        + FeedStore
        + ConsoleStore
        + MapStore
        + IntegrityStore
        + std::fmt::Debug
{
}
