//! The glue between the HTTP handlers and the domain and store: each service function
//! checks who asks, gathers what the decision needs (the cached reference data, the store's
//! snapshot inside its transaction, the blob store), calls [`crate::domain`] through the
//! store, and answers in the API's terms. Handlers call services, never the store.
//!
//! - [`intake`]: a device's push and its identity (`/v1/push`, `/v1/me`).
//! - [`uploads`]: photos over tus and which photos the centre still needs.
//! - [`feed`]: the change feed back to devices.
//! - [`console`]: sign-in, review and the case loop, reports' stories, devices, intake
//!   health, conflicts.
//! - [`evaluation`]: the 考核评价 indicators and their exports.
//! - [`ports`]: the intake API for the centre's other ports, and their callbacks.
//! - [`public`]: the public's 随手拍 page: its form, a citizen's report, how it stands.
//! - [`map`]: the city map's points and grid, and the centre's overview screen.
//! - [`reference`]: code tables and case rules, parsed once and shared.
//! - [`admin`]: loading reference data and people, enrolling devices (the CLI and tests);
//!   [`import`]: a city's grid, code table or people sent from the console.

pub mod admin;
pub mod console;
pub mod evaluation;
pub mod feed;
pub mod import;
pub mod intake;
pub mod map;
pub mod ports;
pub mod public;
pub mod reference;
pub mod throttle;
pub mod uploads;
