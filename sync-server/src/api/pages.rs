//! The console's pages: the static build of `ui/` (`console.html` and its assets), served
//! under `/console/`, and the public's 随手拍 page (`public.html`) under `/public/`. The
//! console talks to the server only through `/v1/console/…`, the 随手拍 page through
//! `/v1/public/…`.
//!
//! The build is compiled into the binary ([`Embedded`], from `ui/dist` when the server is
//! compiled), so `gridwalk-sync serve` serves the console from any working directory and a
//! release is one file. `--console-dir` serves a directory instead (a console being worked
//! on, or one built after the server). A server compiled before the console was built has
//! no pages inside: `/console/` then says how to get them.
//!
//! Vite names every asset by its content's hash, so assets are cached for a year
//! (`immutable`); `console.html`, which names the current assets, is revalidated each time
//! by its ETag.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use tower_http::services::{ServeDir, ServeFile};

/// The console's build as it was when the server was compiled.
#[derive(RustEmbed)]
#[folder = "../ui/dist/"]
#[allow_missing = true]
struct Embedded;

/// Where the pages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The build compiled into this binary.
    Embedded,
    /// A directory holding `console.html` and `assets/`.
    Dir(PathBuf),
}

/// Whether this binary holds a console build.
#[must_use]
pub fn embedded() -> bool {
    Embedded::get("console.html").is_some()
}

/// The pages, each at its own path: the console, and the public's 随手拍 page.
const PAGES: [(&str, &str); 2] = [("/console", "console.html"), ("/public", "public.html")];

/// Routes for the console's pages (and the 随手拍 page) from `source`; if it holds no
/// `console.html`, `/console/` says how to build it.
pub fn routes(source: &Source) -> Router {
    let mut router = Router::new();
    for (mount, page) in PAGES {
        let redirect = get(move || async move { Redirect::permanent(&format!("{mount}/")) });
        router = match source {
            Source::Embedded if embedded() => router
                .route(mount, redirect)
                .route(
                    &format!("{mount}/"),
                    get(move |h: HeaderMap| async move { file(page, &h) }),
                )
                .route(
                    &format!("{mount}/assets/{{*path}}"),
                    get(|UrlPath(path): UrlPath<String>, h: HeaderMap| async move {
                        file(&format!("assets/{path}"), &h)
                    }),
                ),
            Source::Dir(dir) if dir.join("console.html").is_file() => router
                .route(mount, redirect)
                .route_service(&format!("{mount}/"), ServeFile::new(dir.join(page)))
                .nest_service(
                    &format!("{mount}/assets"),
                    ServeDir::new(dir.join("assets")),
                ),
            _ => return not_built(source),
        };
    }
    router
}

/// One embedded file, with its type, its ETag and how long it may be cached.
fn file(path: &str, headers: &HeaderMap) -> Response {
    let Some(f) = Embedded::get(path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let etag = format!(
        "\"{}\"",
        f.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(f.metadata.mimetype()) {
        out.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, v);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    (out, f.data.into_owned()).into_response()
}

fn not_built(source: &Source) -> Router {
    match source {
        Source::Embedded => tracing::warn!(
            "this server was compiled without the console's pages: /console/ will say so \
             (build them with npm in ui/ and compile the server again, or give --console-dir)"
        ),
        Source::Dir(dir) => tracing::warn!(
            dir = %dir.display(),
            "the console is not built here: /console/ will say so (build it with npm in ui/, \
             or give another --console-dir)"
        ),
    }
    // Where it was looked for is in the log above, not in the page: an answer never
    // names the server's own paths.
    let msg = "<!doctype html><meta charset=utf-8><title>Gridwalk</title>\
         <p>此服务器没有监督指挥平台的页面。The console's pages are not in this server. Run \
         <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code> and build the server \
         again, or start it with <code>--console-dir</code>; the server's log says more.</p>";
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route(
            "/console/",
            get(move || async move { (StatusCode::NOT_FOUND, Html(msg)) }),
        )
}

/// The pages for a `--console-dir` given or not.
#[must_use]
pub fn source(dir: Option<&Path>) -> Source {
    dir.map_or(Source::Embedded, |d| Source::Dir(d.to_path_buf()))
}
