//! pgstage's core: everything but the window. A plan file becomes a [`plan::Plan`]; the
//! [`sandbox`] gives a throwaway PostgreSQL seeded with the plan's baseline; [`db`] connects
//! and reads the catalog. No egui below this line: the GUI and the CLI both drive this crate.

pub mod db;
pub mod plan;
pub mod sandbox;
