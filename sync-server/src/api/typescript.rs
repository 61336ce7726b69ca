//! The console's HTTP client, generated: `ui/src/console/client.ts`.
//!
//! The route table below names every route of `/v1/console/…` the console calls, one line
//! each: the handler, the method and path, the path and query parameters, the request body
//! and the answer, as Rust types. From it comes one typed TypeScript function per route
//! (and, for what the browser loads by itself — photos, downloads — a function that builds
//! the address), with every type imported from `ui/src/shared/types.ts`
//! ([`gridwalk_protocol::typescript::shared`]), so the client declares no type of its own.
//!
//! The table cannot drift from the server: each line names its handler (so a renamed or
//! removed handler does not compile), and the `console_client` test checks every line
//! against the handler's own OpenAPI annotation (method, path, parameters and whether they
//! are required, request and answer schemas) and that every documented console route is in
//! the table. The same test fails when the committed file is stale; regenerate with
//! `GRIDWALK_WRITE_BINDINGS=1 cargo test -p gridwalk-sync --lib console_client`.

use std::any::TypeId;

use chrono::{DateTime, Utc};
use gridwalk_protocol::console::{
    Account, ActionAnswer, ActionRequest, AuditEntry, Department, DeviceRow, EnrolledDevice,
    Evaluation, GroupBy, IntakeHealth, MergeAnswer, MergeRequest, NewPassword, OpenConflict,
    Person, QueueSort, ReportDetail, ReportPage, Resolve, Session, SignIn, Team,
};
use gridwalk_protocol::enrollment::{CodeRequest, EnrollmentCode};
use gridwalk_protocol::map::{CaseMap, GridCells, Overview};
use gridwalk_protocol::typescript::{Declarations, SHARED_MODULE, WRITE_VAR, check_fresh, shared};
use gridwalk_protocol::{ComponentInfo, DeviceId, ReportId};
use serde_json::Value;
use ts_rs::TS;
use utoipa::OpenApi;
use uuid::Uuid;

/// Where the client is written, from the repository's root.
const PATH: &str = "ui/src/console/client.ts";

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Path,
    Query,
}

impl Place {
    fn openapi(self) -> &'static str {
        match self {
            Place::Path => "path",
            Place::Query => "query",
        }
    }
}

#[derive(Debug)]
struct Param {
    name: &'static str,
    place: Place,
    /// The TypeScript type of the value (without `| null` for an optional one).
    ts: String,
    optional: bool,
}

impl Param {
    /// A parameter of Rust type `T`; `Option<_>` makes it optional.
    fn new<T>(d: &mut Declarations, name: &'static str, place: Place) -> Self
    where
        T: TS + 'static,
        T::OptionInnerType: TS + Sized + 'static,
    {
        d.add::<T::OptionInnerType>();
        Self {
            name,
            place,
            ts: d.name::<T::OptionInnerType>(),
            optional: TypeId::of::<T>() != TypeId::of::<T::OptionInnerType>(),
        }
    }
}

/// One route of the table.
#[derive(Debug)]
struct Route {
    /// The handler's name in `api::console`.
    handler: &'static str,
    method: &'static str,
    path: &'static str,
    params: Vec<Param>,
    body: Option<String>,
    /// The answer's TypeScript type; `None` for a link (not JSON: the browser loads it).
    answer: Option<String>,
}

/// Builds the table from its lines: JSON calls first, then links.
macro_rules! routes {
    (
        calls { $(
            $call:ident = $cm:ident $cpath:literal
                $(path($($cp:ident: $cpt:ty),*))? $(query($($cq:ident: $cqt:ty),*))?
                $(body($body:ty))? -> $answer:ty;
        )* }
        links { $(
            $link:ident = $lm:ident $lpath:literal
                $(path($($lp:ident: $lpt:ty),*))? $(query($($lq:ident: $lqt:ty),*))?;
        )* }
    ) => {
        fn table(d: &mut Declarations) -> Vec<Route> {
            // Every line names a handler that exists.
            $(let _ = super::$call;)*
            $(let _ = super::$link;)*
            vec![
                $(Route {
                    handler: stringify!($call),
                    method: stringify!($cm),
                    path: $cpath,
                    params: vec![
                        $($(Param::new::<$cpt>(d, stringify!($cp), Place::Path),)*)?
                        $($(Param::new::<$cqt>(d, stringify!($cq), Place::Query),)*)?
                    ],
                    body: None$(.or({ d.add::<$body>(); Some(d.name::<$body>()) }))?,
                    answer: { d.add::<$answer>(); Some(d.name::<$answer>()) },
                },)*
                $(Route {
                    handler: stringify!($link),
                    method: stringify!($lm),
                    path: $lpath,
                    params: vec![
                        $($(Param::new::<$lpt>(d, stringify!($lp), Place::Path),)*)?
                        $($(Param::new::<$lqt>(d, stringify!($lq), Place::Query),)*)?
                    ],
                    body: None,
                    answer: None,
                },)*
            ]
        }
    };
}

routes! {
    calls {
        sign_in = POST "/v1/console/session" body(SignIn) -> Session;
        sign_out = DELETE "/v1/console/session" -> ();
        me = GET "/v1/console/me" -> Person;
        departments = GET "/v1/console/departments" -> Vec<Department>;
        teams = GET "/v1/console/teams" -> Vec<Team>;
        code_tables = GET "/v1/console/code-tables" -> Vec<Value>;
        component = GET "/v1/console/components/{id}" path(id: String) -> ComponentInfo;
        reports = GET "/v1/console/reports" query(state: Option<String>, street: Option<String>, community: Option<String>, cell: Option<String>, kind: Option<String>, category: Option<String>, component: Option<String>, inspector: Option<String>, team: Option<String>, department: Option<String>, urgency: Option<String>, source: Option<String>, flags: Option<String>, due: Option<String>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>, q: Option<String>, sort: Option<QueueSort>, after: Option<String>, limit: Option<usize>) -> ReportPage;
        report = GET "/v1/console/reports/{id}" path(id: ReportId) -> ReportDetail;
        act = POST "/v1/console/reports/{id}/actions" path(id: ReportId) body(ActionRequest) -> ActionAnswer;
        merge = POST "/v1/console/reports/merge" body(MergeRequest) -> MergeAnswer;
        devices = GET "/v1/console/devices" -> Vec<DeviceRow>;
        enrollment_code = POST "/v1/console/enrollment-codes" body(CodeRequest) -> EnrollmentCode;
        health = GET "/v1/console/health" -> IntakeHealth;
        conflicts = GET "/v1/console/conflicts" -> Vec<OpenConflict>;
        resolve = POST "/v1/console/conflicts/{id}/resolve" path(id: Uuid) body(Resolve) -> Value;
        evaluation = GET "/v1/console/evaluation" query(by: GroupBy, from: DateTime<Utc>, to: DateTime<Utc>) -> Evaluation;
        map = GET "/v1/console/map" query(state: Option<String>, street: Option<String>, community: Option<String>, cell: Option<String>, kind: Option<String>, category: Option<String>, inspector: Option<String>, team: Option<String>, department: Option<String>, urgency: Option<String>, source: Option<String>, flags: Option<String>, due: Option<String>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>, q: Option<String>, sort: Option<QueueSort>) -> CaseMap;
        grid = GET "/v1/console/grid" -> GridCells;
        overview = GET "/v1/console/overview" -> Overview;
        admin_users = GET "/v1/console/admin/users" -> Vec<Account>;
        admin_devices = GET "/v1/console/admin/devices" -> Vec<EnrolledDevice>;
        revoke_device = POST "/v1/console/admin/devices/{id}/revoke" path(id: DeviceId) -> ();
        disable_user = POST "/v1/console/admin/users/{login}/disable" path(login: String) -> ();
        enable_user = POST "/v1/console/admin/users/{login}/enable" path(login: String) -> ();
        set_password = POST "/v1/console/admin/users/{login}/password" path(login: String) body(NewPassword) -> ();
        audit = GET "/v1/console/admin/audit" query(limit: Option<u32>) -> Vec<AuditEntry>;
    }
    links {
        photo = GET "/v1/console/photos/{sha256}" path(sha256: String);
        thumb = GET "/v1/console/photos/{sha256}/thumb" path(sha256: String);
        events = GET "/v1/console/events";
        evaluation_csv = GET "/v1/console/evaluation.csv" query(by: GroupBy, from: DateTime<Utc>, to: DateTime<Utc>);
        evaluation_geojson = GET "/v1/console/evaluation.geojson" query(by: Option<GroupBy>, from: DateTime<Utc>, to: DateTime<Utc>);
    }
}

/// `snake_case` to `camelCase`.
fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut words = s.split('_');
    out.push_str(words.next().unwrap_or_default());
    for w in words {
        let mut c = w.chars();
        if let Some(first) = c.next() {
            out.extend(first.to_uppercase());
            out.push_str(c.as_str());
        }
    }
    out
}

/// The OpenAPI document, as JSON.
fn openapi() -> Value {
    serde_json::to_value(super::super::openapi::ApiDoc::openapi()).unwrap_or_default()
}

/// A route's operation in the OpenAPI document.
fn operation<'a>(doc: &'a Value, r: &Route) -> &'a Value {
    &doc["paths"][r.path][r.method.to_lowercase()]
}

/// One function of the client: its parameters (path ones, the query, the body) and the
/// call or the address it makes.
fn function(r: &Route, doc: &Value) -> String {
    let mut params: Vec<String> = Vec::new();
    let mut path = r.path.to_owned();
    for p in r.params.iter().filter(|p| p.place == Place::Path) {
        let name = camel(p.name);
        params.push(format!("{name}: {}", p.ts));
        path = path.replace(
            &format!("{{{}}}", p.name),
            &format!("${{encodeURIComponent({name})}}"),
        );
    }
    let path = if path.contains("${") {
        format!("`{path}`")
    } else {
        format!("\"{path}\"")
    };
    let query: Vec<&Param> = r
        .params
        .iter()
        .filter(|p| p.place == Place::Query)
        .collect();
    if !query.is_empty() {
        let fields: Vec<String> = query
            .iter()
            .map(|p| format!("{}{}: {}", p.name, if p.optional { "?" } else { "" }, p.ts))
            .collect();
        let default = if query.iter().all(|p| p.optional) {
            " = {}"
        } else {
            ""
        };
        params.push(format!("query: {{ {} }}{default}", fields.join("; ")));
    }
    let query_arg = if query.is_empty() { "{}" } else { "query" };
    if let Some(body) = &r.body {
        params.push(format!("body: {body}"));
    }
    let summary = operation(doc, r)["summary"].as_str().unwrap_or_default();
    let make = match &r.answer {
        Some(answer) => {
            let body = if r.body.is_some() { ", body" } else { "" };
            let query = if query.is_empty() && body.is_empty() {
                String::new()
            } else {
                format!(", {query_arg}")
            };
            format!("call<{answer}>(\"{}\", {path}{query}{body})", r.method)
        }
        None if query.is_empty() => format!("link({path})"),
        None => format!("link({path}, query)"),
    };
    format!(
        "  /** {summary} */\n  {}: ({}) => {make},\n",
        camel(r.handler),
        params.join(", ")
    )
}

/// The whole of `ui/src/console/client.ts`, and the declarations its types needed.
fn typescript() -> (String, Declarations) {
    let mut d = Declarations::importing(&shared());
    let routes = table(&mut d);
    let doc = openapi();
    let mut out = String::from(
        "/** The console's JSON routes, typed; each rejects with a `Failure`. */\nexport const client = {\n",
    );
    for r in routes.iter().filter(|r| r.answer.is_some()) {
        out.push_str(&function(r, &doc));
    }
    out.push_str(
        "};\n\n/** Addresses of what the browser loads by itself: photos, downloads. */\nexport const links = {\n",
    );
    for r in routes.iter().filter(|r| r.answer.is_none()) {
        out.push_str(&function(r, &doc));
    }
    out.push_str("};\n");
    let file = format!(
        "// Generated from the console's route table (sync-server/src/api/typescript.rs) by\n\
         // `{WRITE_VAR}=1 cargo test -p gridwalk-sync --lib console_client`. Do not edit by hand.\n\n\
         import type {{ {} }} from \"{SHARED_MODULE}\";\n\
         import {{ call, link }} from \"./http\";\n\n{out}",
        d.imports(&out).join(", ")
    );
    (file, d)
}

/// A schema as the TypeScript name of what it describes: a named schema, an array of
/// one, or any JSON object.
fn schema_name(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or_default().to_owned();
    }
    match s["type"].as_str() {
        Some("array") => format!("Array<{}>", schema_name(&s["items"])),
        Some("object") if s.get("properties").is_none() => "JsonValue".to_owned(),
        _ => panic!("no TypeScript name for the schema {s}"),
    }
}

/// What `r` says that its handler's annotation does not, in words (empty when they agree).
fn disagreements(doc: &Value, r: &Route) -> Vec<String> {
    let op = operation(doc, r);
    if !op.is_object() {
        return vec![format!("no {} {} is documented", r.method, r.path)];
    }
    let mut out = Vec::new();
    if op["operationId"].as_str() != Some(r.handler) {
        out.push(format!(
            "{} {} is documented on {}, not {}",
            r.method, r.path, op["operationId"], r.handler
        ));
    }
    let documented: Vec<(String, String, bool)> = op["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["in"].as_str().unwrap_or_default().to_owned(),
                p["required"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let table: Vec<(String, String, bool)> = r
        .params
        .iter()
        .map(|p| (p.name.to_owned(), p.place.openapi().to_owned(), !p.optional))
        .collect();
    if documented != table {
        out.push(format!(
            "parameters: documented {documented:?}, table {table:?}"
        ));
    }
    let body = op["requestBody"]["content"]["application/json"]["schema"].as_object();
    let documented_body = body.map(|s| schema_name(&Value::Object(s.clone())));
    if documented_body != r.body {
        out.push(format!(
            "body: documented {documented_body:?}, table {:?}",
            r.body
        ));
    }
    let ok = &op["responses"]["200"]["content"];
    match &r.answer {
        Some(answer) if answer == "null" => {
            if !op["responses"]["204"].is_object() {
                out.push("an answer of () is documented as 204".to_owned());
            }
        }
        Some(answer) => {
            let documented = ok["application/json"]["schema"]
                .as_object()
                .map(|s| schema_name(&Value::Object(s.clone())));
            if documented.as_ref() != Some(answer) {
                out.push(format!("answer: documented {documented:?}, table {answer}"));
            }
        }
        None => {
            if !ok.is_object() || ok.get("application/json").is_some() {
                out.push("a link answers 200 with something other than JSON".to_owned());
            }
        }
    }
    out
}

mod tests {
    use super::*;

    /// The committed client is what the route table says, and the table is what the
    /// handlers say.
    #[test]
    fn console_client() {
        let (fresh, declared) = typescript();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if let Err(stale) = check_fresh(
            &root,
            PATH,
            &fresh,
            "cargo test -p gridwalk-sync --lib console_client",
        ) {
            panic!("{stale}");
        }
        let own: Vec<&str> = declared.rust_types().collect();
        assert!(
            own.is_empty(),
            "add these to gridwalk_protocol::typescript::shared: {own:?}"
        );
        assert!(fresh.contains(
            "act: (id: ReportId, body: ActionRequest) => call<ActionAnswer>(\"POST\", `/v1/console/reports/${encodeURIComponent(id)}/actions`, {}, body),"
        ), "{fresh}");
    }

    #[test]
    fn the_table_agrees_with_the_handlers_annotations() {
        let doc = openapi();
        let routes = table(&mut Declarations::new());
        let wrong: Vec<String> = routes
            .iter()
            .flat_map(|r| {
                disagreements(&doc, r)
                    .into_iter()
                    .map(move |w| format!("{}: {w}", r.handler))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        // And every documented console route is in the table.
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            // A file sent as the body is not JSON: the console sends it by hand
            // (ui/src/console/http.ts `upload`).
            if !path.starts_with("/v1/console/") || path == "/v1/console/admin/import" {
                continue;
            }
            let methods = ["get", "put", "post", "delete", "options", "head", "patch"];
            for method in methods.iter().filter(|m| item.get(**m).is_some()) {
                assert!(
                    routes
                        .iter()
                        .any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                    "{method} {path} is not in the console's route table"
                );
            }
        }
    }

    /// A line that says something its handler's annotation does not is caught.
    #[test]
    fn a_wrong_line_is_caught() {
        let doc = openapi();
        let mut d = Declarations::new();
        let mut report = table(&mut d)
            .into_iter()
            .find(|r| r.handler == "report")
            .unwrap_or_else(|| panic!("no report route"));
        assert!(disagreements(&doc, &report).is_empty());
        report.method = "POST";
        assert!(!disagreements(&doc, &report).is_empty());
        report.method = "GET";
        report.answer = Some(d.name::<ReportPage>());
        assert!(!disagreements(&doc, &report).is_empty());
        report.answer = Some(d.name::<ReportDetail>());
        report
            .params
            .push(Param::new::<Option<usize>>(&mut d, "limit", Place::Query));
        assert!(!disagreements(&doc, &report).is_empty());
    }

    #[test]
    fn names_are_camel_case() {
        assert_eq!(camel("evaluation_csv"), "evaluationCsv");
        assert_eq!(camel("me"), "me");
    }
}
