//! `GET /openapi.json`: the API described from the handlers' own annotations and the wire
//! types' schemas, so the document cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gridwalk sync",
        description = "Devices push their outboxes, upload photos over tus 1.0.0, ask what the centre still needs, and pull what changed at the centre. The centre's other ports (12345/12319 hotlines, the public page, video analysis) file reports through /v1/intake exactly once per Idempotency-Key and hear back through a signed callback. Team leaders, operators and departments work the case loop through the console's routes, and administrators manage people and devices; who may call which route is the README's role table."
    ),
    paths(
        openapi_json,
        super::push::healthz,
        super::push::push,
        super::push::photos_needed,
        super::changes::changes,
        super::changes::photo,
        super::me::me,
        super::me::device_key,
        super::me::enroll,
        super::ports::file,
        super::ports::report,
        super::ports::callback,
        super::ports::set_callback,
        super::ports::remove_callback,
        super::ports::deliveries,
        super::public::form,
        super::public::file,
        super::public::report,
        super::tus::options,
        super::tus::create,
        super::tus::status,
        super::tus::append,
        super::tus::terminate,
        super::console::sign_in,
        super::console::sign_out,
        super::console::me,
        super::console::departments,
        super::console::teams,
        super::console::code_tables,
        super::console::component,
        super::console::reports,
        super::console::report,
        super::console::act,
        super::console::merge,
        super::console::photo,
        super::console::thumb,
        super::console::events,
        super::console::devices,
        super::console::enrollment_code,
        super::console::health,
        super::console::conflicts,
        super::console::resolve,
        super::evaluation::evaluation,
        super::evaluation::evaluation_csv,
        super::evaluation::evaluation_geojson,
        super::map::map,
        super::map::grid,
        super::map::overview,
        super::console::admin_users,
        super::console::admin_devices,
        super::console::revoke_device,
        super::console::disable_user,
        super::console::enable_user,
        super::console::set_password,
        super::console::import,
        super::console::audit,
    ),
    // What a port's callback receives is no route's answer, and the queue's order and the
    // import's kind are only query parameters: listed so they are described.
    components(schemas(
        gridwalk_protocol::intake::Progress,
        gridwalk_protocol::console::ImportKind,
        gridwalk_protocol::console::QueueSort
    )),
    modifiers(&DeviceToken)
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Devices authenticate with the bearer token they were enrolled with; console users with
/// their session token.
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
        components.add_security_scheme(
            "port",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A port's service-account token, printed by `admin port-token` (also for its photos' tus uploads)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "console",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The session token from POST /v1/console/session (the console's pages send it as the gridwalk_session cookie)",
                    ))
                    .build(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "server",
    responses((status = 200, description = "The OpenAPI 3.1 description of every route", body = Object)))]
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    /// Every `$ref` in the document names a schema it describes (a type used only as a
    /// query parameter is not collected on its own, and clients then cannot read the route).
    #[test]
    fn every_reference_resolves() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("json");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let mut missing = Vec::new();
        let mut stack = vec![&doc];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref")
                        && let Some(name) = r.strip_prefix("#/components/schemas/")
                        && !schemas.contains_key(name)
                    {
                        missing.push(name.to_owned());
                    }
                    stack.extend(m.values());
                }
                serde_json::Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
        assert!(missing.is_empty(), "unresolvable: {missing:?}");
    }
}
