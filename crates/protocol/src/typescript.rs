//! TypeScript declarations of the wire types (ts-rs), for the web front ends.
//!
//! Each TypeScript type is generated once, into one of three files, and each file is checked
//! fresh by a test (regenerate all three with `GRIDWALK_WRITE_BINDINGS=1`, see the README):
//!
//! - `ui/src/shared/types.ts` ([`shared`], here): every wire type either front end touches,
//!   the records the tablet's engine passes through and the console's API alike;
//! - `ui/src/tablet/commands.ts` (`src-tauri/src/bindings.rs`): the engine's own records and
//!   a typed function per Tauri command;
//! - `ui/src/console/client.ts` (`sync-server/src/api/typescript.rs`): a typed function per
//!   console route.
//!
//! The two app files are built with [`Declarations::importing`] over [`shared`], so a type
//! declared in the shared file is imported there, never declared again.
//!
//! 64-bit integers (byte counts, versions) are declared `number`: serde sends them as JSON
//! numbers, and none comes near 2^53.

use std::any::TypeId;
use std::collections::{BTreeSet, HashSet};

use ts_rs::{Config, TS, TypeVisitor};

use crate::console::{
    Account, ActionAnswer, ActionRequest, AuditEntry, CaseAction, Conflict, ConsoleReport,
    Department, DeviceRow, EnrolledDevice, Evaluation, ImportAnswer, ImportKind, IntakeHealth,
    MergeAnswer, MergeRequest, NewPassword, OpenConflict, Person, QueueSort, ReportDetail,
    ReportPage, Resolve, Session, SignIn, Team,
};
use crate::{ApiError, CaseState, Category, Report, TaskChange};

/// Where [`shared`] is written, from the repository's root.
pub const SHARED_PATH: &str = "ui/src/shared/types.ts";

/// The module both front ends import the shared types from, relative to their own folders.
pub const SHARED_MODULE: &str = "../shared/types";

/// The environment variable that makes the freshness tests rewrite the files they check.
pub const WRITE_VAR: &str = "GRIDWALK_WRITE_BINDINGS";

/// How ts-rs writes this project's types.
fn config() -> Config {
    Config::new().with_large_int("number")
}

/// The wire types the front ends use: what the tablet's engine hands through from the
/// protocol (a report and everything in it, the code table's categories, verification
/// tasks), and the console's requests and answers.
#[must_use]
pub fn shared() -> Declarations {
    let mut d = Declarations::new();
    d.add::<Report>();
    d.add::<Category>();
    d.add::<crate::ComponentInfo>();
    d.add::<CaseState>();
    d.add::<TaskChange>();
    d.add::<ApiError>();
    d.add::<crate::message::Message>();
    d.add::<crate::message::FieldMessage>();
    d.add::<SignIn>();
    d.add::<Session>();
    d.add::<Person>();
    d.add::<ConsoleReport>();
    d.add::<ReportDetail>();
    d.add::<ReportPage>();
    d.add::<QueueSort>();
    d.add::<ActionRequest>();
    d.add::<CaseAction>();
    d.add::<ActionAnswer>();
    d.add::<MergeRequest>();
    d.add::<MergeAnswer>();
    d.add::<Department>();
    d.add::<Team>();
    d.add::<DeviceRow>();
    d.add::<IntakeHealth>();
    d.add::<Conflict>();
    d.add::<OpenConflict>();
    d.add::<Resolve>();
    d.add::<Evaluation>();
    d.add::<Account>();
    d.add::<EnrolledDevice>();
    d.add::<AuditEntry>();
    d.add::<ImportKind>();
    d.add::<ImportAnswer>();
    d.add::<NewPassword>();
    d.add::<crate::enrollment::CodeRequest>();
    d.add::<crate::enrollment::EnrollmentCode>();
    d.add::<crate::map::CaseMap>();
    d.add::<crate::map::GridCells>();
    d.add::<crate::map::Overview>();
    d.add::<crate::intake::PublicForm>();
    d.add::<crate::intake::PublicReport>();
    d.add::<crate::intake::PublicAnswer>();
    d
}

/// Where [`messages_file`] is written, from the repository's root.
pub const MESSAGES_PATH: &str = "ui/src/shared/messages.ts";

/// The message catalogue for the front ends ([`crate::message`]): every code with the
/// parameters its sentence names and its English sentence, and the English words of coded
/// parameter values. The front ends' own catalogues (`messages.zh.ts`) are typed over it,
/// so a code without a translation does not compile, and a test there checks that every
/// translation names the same parameters.
#[must_use]
pub fn messages_file() -> String {
    use std::fmt::Write as _;
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = String::from(
        "// Generated from the message catalogue (crates/protocol/src/message.rs) by\n\
         // `GRIDWALK_WRITE_BINDINGS=1 cargo test -p gridwalk-protocol --features ts messages`.\n\
         // Do not edit: change the catalogue and regenerate.\n\n\
         /** Every message code: the parameters its sentence names, and the sentence in English. */\n\
         export const MESSAGES = {\n",
    );
    for (code, en) in crate::message::CATALOGUE {
        let params: Vec<String> = crate::message::params_of(en).iter().map(|p| q(p)).collect();
        let _ = writeln!(
            out,
            "  {}: {{ params: [{}], en: {} }},",
            q(code),
            params.join(", "),
            q(en)
        );
    }
    out.push_str("} as const;\n\nexport type MessageCode = keyof typeof MESSAGES;\n\n");
    out.push_str(
        "/** Parameters whose values are codes: said in words (here English) by kind. */\n\
         export const VALUE_WORDS_EN: Record<string, Record<string, string>> = {\n",
    );
    let mut kinds: Vec<&str> = crate::message::VALUE_WORDS
        .iter()
        .map(|(k, _, _)| *k)
        .collect();
    kinds.dedup();
    for kind in kinds {
        let _ = writeln!(out, "  {}: {{", q(kind));
        for (_, v, w) in crate::message::VALUE_WORDS
            .iter()
            .filter(|(k, _, _)| *k == kind)
        {
            let _ = writeln!(out, "    {}: {},", q(v), q(w));
        }
        out.push_str("  },\n");
    }
    out.push_str("};\n");
    out
}

/// Compares a generated file with the committed copy at `path` (from the repository root,
/// given as `root`), or rewrites the copy when [`WRITE_VAR`] is set.
///
/// # Errors
/// When the committed copy differs: the message says how to regenerate it with `command`.
pub fn check_fresh(
    root: &std::path::Path,
    path: &str,
    fresh: &str,
    command: &str,
) -> Result<(), String> {
    let file = root.join(path);
    if std::env::var_os(WRITE_VAR).is_some() {
        return std::fs::write(&file, fresh).map_err(|e| format!("writing {path}: {e}"));
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    if committed == fresh {
        Ok(())
    } else {
        Err(format!(
            "{path} is stale: run `{WRITE_VAR}=1 {command}` and commit it"
        ))
    }
}

/// One declared type.
#[derive(Debug)]
struct Declared {
    name: String,
    /// The Rust type it came from (`std::any::type_name`), so a file can be checked for
    /// what belongs elsewhere.
    rust: &'static str,
    text: String,
}

/// Collects the declarations of a set of types and everything they mention.
pub struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    out: Vec<Declared>,
    /// Names declared in another file: mentioned here, imported from there.
    elsewhere: BTreeSet<String>,
    /// The names of `elsewhere` met while declaring: what the file may import.
    imports: BTreeSet<String>,
}

impl Declarations {
    #[must_use]
    pub fn new() -> Self {
        Self {
            cfg: config(),
            seen: HashSet::new(),
            out: Vec::new(),
            elsewhere: BTreeSet::new(),
            imports: BTreeSet::new(),
        }
    }

    /// Declarations for a file that imports from `other`'s file every type `other`
    /// declares, instead of declaring it again.
    #[must_use]
    pub fn importing(other: &Self) -> Self {
        Self {
            elsewhere: other.out.iter().map(|d| d.name.clone()).collect(),
            ..Self::new()
        }
    }

    /// Declares `T` (if it is a named type) and every named type it depends on; a type
    /// declared in the other file is imported, and what it depends on is left to that file.
    pub fn add<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_some() {
            self.visit::<T>();
        } else {
            // `Vec<T>`, `Option<T>`, `()`, …: what they are made of.
            T::visit_dependencies(self);
            T::visit_generics(self);
        }
    }

    /// The TypeScript name of `T` (`Array<LocalReport>`, `string | null`, …).
    #[must_use]
    pub fn name<T: TS + 'static + ?Sized>(&self) -> String {
        T::name(&self.cfg)
    }

    /// The names to import from the other file (see [`Self::importing`]) for `code`, the
    /// file's text: those of the types met while declaring that the code (outside comments)
    /// names, sorted. ts-rs also reports what a type's parts are made of, which a file that
    /// only names the type must not import.
    #[must_use]
    pub fn imports(&self, code: &str) -> Vec<&str> {
        let code = without_comments(code);
        self.imports
            .iter()
            .map(String::as_str)
            .filter(|name| names(&code, name))
            .collect()
    }

    /// The Rust types declared here (not those imported), by their full paths.
    pub fn rust_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.out.iter().map(|d| d.rust)
    }

    /// Every declaration, sorted by name, each followed by a blank line.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out: Vec<&Declared> = self.out.iter().collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        let mut text = String::new();
        for d in out {
            text.push_str(&d.text);
            text.push_str("\n\n");
        }
        text
    }
}

/// `code` with its `/* … */` comments taken out.
fn without_comments(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// Whether `code` names the identifier `name` (not merely a longer one containing it).
fn names(code: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    code.match_indices(name).any(|(i, _)| {
        !code[..i].chars().next_back().is_some_and(ident)
            && !code[i + name.len()..].chars().next().is_some_and(ident)
    })
}

impl std::fmt::Debug for Declarations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declarations")
            .field("declared", &self.out.len())
            .field("imported", &self.imports.len())
            .finish_non_exhaustive()
    }
}

impl Default for Declarations {
    fn default() -> Self {
        Self::new()
    }
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let name = T::ident(&self.cfg);
        if self.elsewhere.contains(&name) {
            // Declared in the other file with everything it mentions.
            self.imports.insert(name);
            return;
        }
        // Two Rust types may declare one TypeScript name (serde_json's `Value` is declared
        // as `JsonValue` through more than one path); the first declaration stands.
        if !self.out.iter().any(|d| d.name == name) {
            let docs = T::docs().unwrap_or_default();
            self.out.push(Declared {
                text: format!("{docs}export {}", T::decl(&self.cfg)),
                rust: std::any::type_name::<T>(),
                name,
            });
        }
        T::visit_dependencies(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole of `ui/src/shared/types.ts`.
    fn shared_file() -> String {
        format!(
            "// Generated from the Rust wire types (crates/protocol/src/typescript.rs) by\n\
             // `{WRITE_VAR}=1 cargo test -p gridwalk-protocol --features ts shared_types`.\n\
             // Do not edit by hand.\n\n{}",
            shared().render()
        )
    }

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The committed shared declarations are what the Rust types say now.
    #[test]
    fn shared_types() {
        let fresh = shared_file();
        if let Err(stale) = check_fresh(
            &root(),
            SHARED_PATH,
            &fresh,
            "cargo test -p gridwalk-protocol --features ts shared_types",
        ) {
            panic!("{stale}");
        }
        for needed in [
            "export type Report ",
            "export type Location ",
            "export type TaskChange ",
            "export type ConsoleReport ",
            "export type ApiError ",
        ] {
            assert!(fresh.contains(needed), "missing {needed}");
        }
        assert!(!fresh.contains("bigint"));
    }

    /// The committed message catalogue is the Rust one.
    #[test]
    fn messages() {
        let fresh = messages_file();
        if let Err(stale) = check_fresh(
            &root(),
            MESSAGES_PATH,
            &fresh,
            "cargo test -p gridwalk-protocol --features ts messages",
        ) {
            panic!("{stale}");
        }
        assert!(fresh.contains("\"case.stale\": { params: [\"report\", \"state\", \"seen\"]"));
    }

    /// A record of one front end's own, over shared types.
    #[derive(TS)]
    #[allow(dead_code)]
    struct Outing {
        report: ReportDetail,
        stops: Vec<crate::Location>,
    }

    /// A file built over the shared one imports what the shared one declares, and
    /// declares only the rest.
    #[test]
    fn importing_declares_nothing_twice() {
        let mut d = Declarations::importing(&shared());
        d.add::<Outing>();
        let text = d.render();
        assert_eq!(d.imports(&text), ["Location", "ReportDetail"]);
        // Only what the code names, outside comments.
        assert_eq!(
            d.imports("/** Location */ let r: ReportDetails;"),
            [] as [&str; 0]
        );
        assert!(text.contains("export type Outing = "), "{text}");
        assert!(!text.contains("export type ReportDetail"));
        assert!(!text.contains("export type Location"));
        assert_eq!(
            d.rust_types().collect::<Vec<_>>(),
            [std::any::type_name::<Outing>()]
        );
    }
}
