//! The TypeScript side of the commands, generated from the Rust types.
//!
//! Every JSON command is listed once, in [`crate::commands`], with its argument and answer
//! types (the `commands!` table). From that list come both the handler Tauri dispatches to
//! and `ui/src/bindings.ts`: a declaration of every record the UI receives or sends (by
//! ts-rs, from the same serde attributes that shape the JSON) and one typed function per
//! command. The `bindings` test regenerates the file and fails if the committed copy
//! differs, so the UI cannot drift from the engine.
//!
//! 64-bit integers (byte counts, versions) are declared `number`: serde sends them as JSON
//! numbers, and none comes near 2^53.

pub use gridwalk_protocol::typescript::Declarations;

/// The file the UI imports.
pub const PATH: &str = "ui/src/bindings.ts";

/// One command as the UI calls it.
#[derive(Debug, Clone)]
pub struct Signature {
    pub name: &'static str,
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

/// The whole of `ui/src/bindings.ts`.
#[must_use]
pub fn typescript() -> String {
    let mut decls = Declarations::new();
    let signatures = crate::commands::signatures(&mut decls);
    let mut out = String::from(
        "// Generated from the Rust types by `cargo test -p gridwalk-app --lib bindings` with\n\
         // GRIDWALK_WRITE_BINDINGS=1 (src-tauri/src/bindings.rs). Do not edit by hand.\n\n\
         import { invoke } from \"@tauri-apps/api/core\";\n\n",
    );
    out.push_str(&decls.render());
    out.push_str("/** Every JSON command, typed; each rejects with a `CommandError`. */\nexport const commands = {\n");
    for s in &signatures {
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed bindings are what the Rust types say now. Run with
    /// `GRIDWALK_WRITE_BINDINGS=1` to rewrite them after changing a type or a command.
    #[test]
    fn bindings() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(PATH);
        let fresh = typescript();
        if std::env::var_os("GRIDWALK_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("write the bindings");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{PATH} is stale: run `GRIDWALK_WRITE_BINDINGS=1 cargo test -p gridwalk-app --lib bindings` and commit it"
        );
    }

    #[test]
    fn declarations_cover_nested_types() {
        let ts = typescript();
        for needed in [
            "export type LocalReport",
            "export type LocalPhoto",
            "export type Location",
            "export type LocationFlag",
            "export type CaseState",
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

    #[test]
    fn argument_names_are_camel_case() {
        assert_eq!(camel("server_url"), "serverUrl");
        assert_eq!(camel("id"), "id");
    }
}
