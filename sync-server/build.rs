//! The console's built pages (`ui/dist`) are compiled into the server (see
//! `src/api/pages.rs`): build the server again when they change, including when a new
//! build adds or removes files (which the embedded files alone would not notice).
fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
