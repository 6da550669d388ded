//! pgstage's core: everything but the window. A plan file becomes a [`plan::Plan`]; the
//! [`sandbox`] gives a throwaway PostgreSQL seeded with the plan's baseline; [`db`] connects
//! and reads the catalog; the [`engine`] runs the plan step by step, judging [`check`]s, and
//! returns one serializable run result with its GO / NO-GO verdict; [`rehearsal`] remembers
//! which server version each plan was rehearsed on. No egui below this line:
//! the GUI and the CLI both drive this crate.

pub mod check;
pub mod db;
pub mod draft;
pub mod engine;
pub mod findings;
pub mod gui;
pub mod plan;
pub mod rehearsal;
pub mod report;
pub mod run_result;
pub mod sandbox;
