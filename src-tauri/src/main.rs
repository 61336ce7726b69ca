//! The desktop binary (development and the end-to-end tests); the tablet enters through
//! `gridwalk_app::run` as a library.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    gridwalk_app::run();
}
