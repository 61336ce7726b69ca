//! TypeScript declarations of the wire types (ts-rs), for the web front ends: the app's
//! `ui/src/bindings.ts` and the console's `ui/src/console/types.ts` are generated from the
//! Rust types and checked by tests, so neither UI can drift from what the Rust side sends.
//!
//! 64-bit integers (byte counts, versions) are declared `number`: serde sends them as JSON
//! numbers, and none comes near 2^53.

use std::any::TypeId;
use std::collections::HashSet;

use ts_rs::{Config, TS, TypeVisitor};

/// How ts-rs writes this project's types.
fn config() -> Config {
    Config::new().with_large_int("number")
}

/// Collects the declarations of a set of types and everything they mention.
pub struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    /// `(name, declaration)`, sorted by name when written.
    out: Vec<(String, String)>,
}

impl Declarations {
    #[must_use]
    pub fn new() -> Self {
        Self {
            cfg: config(),
            seen: HashSet::new(),
            out: Vec::new(),
        }
    }

    /// Declares `T` (if it is a named type) and every named type it depends on.
    pub fn add<T: TS + 'static + ?Sized>(&mut self) {
        self.visit::<T>();
        T::visit_dependencies(self);
        T::visit_generics(self);
    }

    /// The TypeScript name of `T` (`Array<LocalReport>`, `string | null`, …).
    #[must_use]
    pub fn name<T: TS + 'static + ?Sized>(&self) -> String {
        T::name(&self.cfg)
    }
}

impl std::fmt::Debug for Declarations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declarations")
            .field("declared", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Default for Declarations {
    fn default() -> Self {
        Self::new()
    }
}

impl Declarations {
    /// Every declaration, sorted by name, each followed by a blank line.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out: Vec<&(String, String)> = self.out.iter().collect();
        out.sort();
        let mut text = String::new();
        for (_, decl) in out {
            text.push_str(decl);
            text.push_str("\n\n");
        }
        text
    }
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let docs = T::docs().unwrap_or_default();
        let decl = format!("{docs}export {}", T::decl(&self.cfg));
        // Two Rust types may declare one TypeScript name (serde_json's `Value` is declared
        // as `JsonValue` through more than one path); the first declaration stands.
        let name = T::ident(&self.cfg);
        if !self.out.iter().any(|(n, _)| *n == name) {
            self.out.push((name, decl));
        }
        T::visit_dependencies(self);
    }
}
