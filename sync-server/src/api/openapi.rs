//! `GET /openapi.json`: the API described from the handlers' own annotations and the wire
//! types' schemas, so the document cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gridwalk sync",
        description = "Devices push their outboxes, upload photos over tus 1.0.0, ask what the centre still needs, and pull what changed at the centre."
    ),
    paths(
        super::push::healthz,
        super::push::push,
        super::push::photos_needed,
        super::changes::changes,
        super::me::me,
        super::tus::options,
        super::tus::create,
        super::tus::status,
        super::tus::append,
        super::tus::terminate,
    ),
    modifiers(&DeviceToken)
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Devices authenticate with the bearer token they were enrolled with.
struct DeviceToken;

impl Modify for DeviceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The device token printed by `admin enroll-device`"))
                    .build(),
            ),
        );
    }
}

pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
