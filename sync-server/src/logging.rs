//! Structured logs. The level comes from `RUST_LOG` (default `info`; for example
//! `RUST_LOG=gridwalk_sync=debug,tower_http=debug`), the format from
//! `GRIDWALK_LOG_FORMAT`: `text` (the default, for a terminal) or `json` (one object per
//! line with the span's fields, for a log collector). Every request runs in a span naming
//! its method, path and, once authenticated, its device or user ([`crate::api`]); logs go
//! to standard error.

use tracing_subscriber::EnvFilter;

/// Installs the process's log subscriber; call once, first thing in `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("GRIDWALK_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // Colours only for a terminal: a log file or collector gets plain text.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}

/// An error with every cause it carries, outermost first: `a: b: c`.
#[must_use]
pub fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}
