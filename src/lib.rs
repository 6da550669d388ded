//! pgstage's core: everything but the window. A plan file becomes a [`plan::Plan`]; the
//! [`sandbox`] gives a throwaway PostgreSQL seeded with the plan's baseline; [`db`] connects
//! and reads the catalog; the [`engine`] runs the plan step by step, judging [`check`]s and
//! raising lock [`findings`], and fills in one serializable [`run_result::RunResult`] with its
//! GO / NO-GO verdict; [`report`] writes it out; [`draft`] writes a plan from a migrations folder
//! or a run-book; [`rehearsal`] remembers which server version each plan was rehearsed on;
//! [`private_files`] keeps what pgstage stores its owner's.
//!
//! Imports only point down (CONTRIBUTING.md has the order): `plan`, `db` → `run_result` →
//! `check`, `findings`, `sandbox`, `rehearsal` → `engine` → `report` → `draft`; the window
//! ([`gui`], behind the default feature `gui`) and the CLI drive it from above. Nothing but
//! `gui` uses egui: `cargo build --no-default-features` builds the core and the headless CLI.

pub mod check;
pub mod compare;
pub mod db;
pub mod draft;
pub mod engine;
pub mod findings;
pub mod plan;
pub mod private_files;
pub mod rehearsal;
pub mod report;
pub mod run_result;
pub mod sandbox;

#[cfg(feature = "gui")]
pub mod gui;
