//! The offline basemap's tiles for the WebView, through a URI scheme of the app's own:
//! `tiles://localhost/{version}/{z}/{x}/{y}` on Linux and macOS,
//! `http://tiles.localhost/{version}/{z}/{x}/{y}` on Android and Windows (where the
//! WebView cannot register a scheme of its own and Tauri serves it under that host; the UI
//! builds the address with `convertFileSrc`, which knows which). `x`/`y` number tiles the
//! web way (XYZ); the engine flips the row for MBTiles. `{version}` is the installed
//! package's ([`gridwalk_field::basemap::BasemapInfo::version`]): a new package gets new
//! addresses, so the WebView may cache a tile for good.
//!
//! An `<img>` or SVG `<image>` loads a tile like any picture, with no IPC message per
//! tile and nothing copied into JavaScript. The handler is asynchronous: each tile is read
//! on the blocking pool, never on the main thread.

use gridwalk_field::Engine;
use gridwalk_field::basemap::tiles::{MAX_ZOOM, TileId};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::AppState;

/// The scheme's name.
pub const SCHEME: &str = "tiles";

/// The tile a request's path names: `/{version}/{z}/{x}/{y}`, the last part with or
/// without a file extension.
fn parse(path: &str) -> Option<TileId> {
    let mut parts = path.trim_start_matches('/').split('/');
    let (_version, z, x, y) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let y = y.split('.').next()?;
    let z: u8 = z.parse().ok().filter(|z| *z <= MAX_ZOOM)?;
    Some(TileId {
        z,
        x: x.parse().ok()?,
        y: y.parse().ok()?,
    })
}

fn respond(engine: &Engine, path: &str) -> Response<Vec<u8>> {
    let status = |s: StatusCode| {
        let mut r = Response::new(Vec::new());
        *r.status_mut() = s;
        r
    };
    let Some(tile) = parse(path) else {
        return status(StatusCode::BAD_REQUEST);
    };
    match engine.basemap_tile(tile) {
        Ok(Some(bytes)) => Response::builder()
            .header(
                header::CONTENT_TYPE,
                gridwalk_field::basemap::content_type(&bytes),
            )
            .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .body(bytes)
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
        Ok(None) => status(StatusCode::NOT_FOUND),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// The scheme's handler, for `tauri::Builder::register_asynchronous_uri_scheme_protocol`.
pub fn serve<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let Some(state) = ctx.app_handle().try_state::<AppState>() else {
        // Before the engine is open: nothing to serve yet.
        let mut r = Response::new(Vec::new());
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        responder.respond(r);
        return;
    };
    let engine = std::sync::Arc::clone(&state.engine);
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn_blocking(move || responder.respond(respond(&engine, &path)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_path_names_version_zoom_column_and_row() {
        assert_eq!(
            parse("/1a2b/16/53353/28546"),
            Some(TileId {
                z: 16,
                x: 53_353,
                y: 28_546
            })
        );
        assert_eq!(parse("/v/0/0/0.png"), Some(TileId { z: 0, x: 0, y: 0 }));
        for bad in [
            "/",
            "/v/1/2",
            "/v/1/2/3/4",
            "/v/25/0/0",
            "/v/a/0/0",
            "/v/1/-1/0",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
