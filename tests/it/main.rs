//! pgstage's integration tests: one binary, one module per concept (ripgrep's layout).
//! Every test that needs PostgreSQL gets a fresh database from the shared sandbox; see
//! `support`.

mod baseline_cache;
mod cli;
mod clone;
mod clone_live;
mod compare;
mod connect;
mod deparser;
mod draft;
mod draft_review;
mod drift;
mod engine;
mod figures;
#[cfg(feature = "gui")]
mod gui;
mod import;
mod integrity;
mod locks;
mod other_sessions;
mod outside_transaction;
mod plan;
mod privileges;
mod report;
mod row_figures;
mod rules;
mod sandbox;
mod scale;
mod schema;
mod sensitivity;
mod staging;
mod support;
mod versions;
