//! The TypeScript side of the commands, generated from the Rust types.
//!
//! Every JSON command is declared once, in [`crate::commands`] (the `commands!` table): that
//! one line is both the Tauri command and its entry here. From the table comes
//! `ui/src/tablet/commands.ts`: a declaration of every engine record the UI receives or
//! sends (by ts-rs, from the same serde attributes that shape the JSON) and one typed
//! function per command. Wire types from `crates/protocol` are not declared again: they are
//! imported from `ui/src/shared/types.ts`, which the console uses too
//! ([`gridwalk_protocol::typescript`]). The `bindings` test regenerates the file and fails if
//! the committed copy differs, so the UI cannot drift from the engine.

pub use gridwalk_protocol::typescript::Declarations;
use gridwalk_protocol::typescript::{SHARED_MODULE, WRITE_VAR, shared};

/// The file the tablet's UI imports.
pub const PATH: &str = "ui/src/tablet/commands.ts";

/// One command as the UI calls it.
#[derive(Debug, Clone)]
pub struct Signature {
    pub name: &'static str,
    /// The command's doc comment, line by line.
    pub docs: &'static [&'static str],
    /// `(argument name, TypeScript type)`, argument names as in Rust.
    pub args: Vec<(&'static str, String)>,
    pub answer: String,
}

/// `snake_case` to `camelCase`: Tauri takes command arguments in camelCase.
fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The declarations and signatures behind `ui/src/tablet/commands.ts`.
fn declare() -> (Declarations, Vec<Signature>) {
    let mut decls = Declarations::importing(&shared());
    let signatures = crate::commands::signatures(&mut decls);
    (decls, signatures)
}

/// The whole of `ui/src/tablet/commands.ts`.
#[must_use]
pub fn typescript() -> String {
    let (decls, signatures) = declare();
    let mut out = decls.render();
    out.push_str("/** Every JSON command, typed; each rejects with a `CommandError`. */\nexport const commands = {\n");
    for s in &signatures {
        if !s.docs.is_empty() {
            let docs: Vec<&str> = s.docs.iter().map(|l| l.trim()).collect();
            out.push_str(&format!("  /** {} */\n", docs.join(" ")));
        }
        let params: Vec<String> = s
            .args
            .iter()
            .map(|(n, t)| format!("{}: {t}", camel(n)))
            .collect();
        let names: Vec<String> = s.args.iter().map(|(n, _)| camel(n)).collect();
        let payload = if names.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", names.join(", "))
        };
        out.push_str(&format!(
            "  {}: ({}) => invoke<{}>(\"{}\"{payload}),\n",
            camel(s.name),
            params.join(", "),
            s.answer,
            s.name
        ));
    }
    out.push_str("};\n");
    format!(
        "// Generated from the Rust types by `{WRITE_VAR}=1 cargo test -p gridwalk-app --lib\n\
         // bindings` (src-tauri/src/bindings.rs). Do not edit by hand.\n\n\
         import {{ invoke }} from \"@tauri-apps/api/core\";\n\n\
         import type {{ {} }} from \"{SHARED_MODULE}\";\n\n{out}",
        decls.imports(&out).join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed bindings are what the Rust types say now. Run with
    /// `GRIDWALK_WRITE_BINDINGS=1` to rewrite them after changing a type or a command.
    #[test]
    fn bindings() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let checked = gridwalk_protocol::typescript::check_fresh(
            &root,
            PATH,
            &typescript(),
            "cargo test -p gridwalk-app --lib bindings",
        );
        if let Err(stale) = checked {
            panic!("{stale}");
        }
    }

    #[test]
    fn declarations_cover_nested_types() {
        let ts = typescript();
        for needed in [
            "export type LocalReport",
            "export type LocalPhoto",
            "export type DraftPatch",
            "export type CommandError",
            "export type CellOutline",
        ] {
            assert!(ts.contains(needed), "missing {needed}");
        }
        // Large integers are numbers on the wire.
        assert!(!ts.contains("bigint"), "{ts}");
        assert!(
            ts.contains(
                r#"enroll: (serverUrl: string, token: string) => invoke<Inspector>("enroll", { serverUrl, token }),"#
            ),
            "{ts}"
        );
    }

    /// The wire types come from the shared file, never declared again here: a command that
    /// starts using a protocol type the shared file lacks must add it to
    /// `gridwalk_protocol::typescript::shared`.
    #[test]
    fn wire_types_are_imported_not_declared() {
        let (decls, _) = declare();
        let ts = typescript();
        let protocol: Vec<&str> = decls
            .rust_types()
            .filter(|t| t.starts_with("gridwalk_protocol::"))
            .collect();
        assert!(
            protocol.is_empty(),
            "declared here rather than in the shared file: {protocol:?}"
        );
        for shared in [
            "Location",
            "LocationFlag",
            "CaseState",
            "TaskChange",
            "Category",
        ] {
            assert!(
                decls.imports(&ts).contains(&shared),
                "{shared} is not imported"
            );
        }
    }

    #[test]
    fn argument_names_are_camel_case() {
        assert_eq!(camel("server_url"), "serverUrl");
        assert_eq!(camel("id"), "id");
    }
}
