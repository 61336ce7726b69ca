//! The console's pages: the static build of `ui/` (`console.html` and its assets), served
//! under `/console/`. The pages talk to the server only through `/v1/console/…`.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

/// Where the console's build is looked for when no directory is given: `ui/dist` under the
/// working directory (a checkout).
#[must_use]
pub fn default_dir() -> PathBuf {
    PathBuf::from("ui/dist")
}

/// Routes for the console's pages from `dir`; if it holds no `console.html`, `/console/`
/// says how to build it.
pub fn routes(dir: &Path) -> Router {
    let page = dir.join("console.html");
    if !page.is_file() {
        tracing::warn!(
            dir = %dir.display(),
            "the console is not built here: /console/ will say so (build it with npm in ui/, \
             or give --console-dir)"
        );
        // Where it was looked for is in the log above, not in the page: an answer never
        // names the server's own paths.
        let msg = "<!doctype html><meta charset=utf-8><title>Gridwalk console</title>\
             <p>The console is not built on this server. Run <code>npm ci &amp;&amp; npm run \
             build</code> in <code>ui/</code>, or start the server with \
             <code>--console-dir</code>; the server's log says where it looked.</p>";
        return Router::new()
            .route(
                "/console",
                get(|| async { Redirect::permanent("/console/") }),
            )
            .route(
                "/console/",
                get(move || async move { (StatusCode::NOT_FOUND, Html(msg)) }),
            );
    }
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route_service("/console/", ServeFile::new(page))
        .nest_service("/console/assets", ServeDir::new(dir.join("assets")))
}
