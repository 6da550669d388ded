//! Which PostgreSQL a sandbox runs, on the command line: `--pg-version`, `--pg-bindir`
//! (else `PGSTAGE_PG_BINDIR`, else the first found), and `--list-versions`.

use std::path::PathBuf;

use clap::Args;
use pgstage::sandbox::{self, BINDIR_VAR, ServerBinaries, ServerChoice};

#[derive(Args, Clone, Default)]
pub struct ServerArgs {
    /// Run the sandbox on this PostgreSQL major version (14 to 18), the newest installation of
    /// it found (see --list-versions).
    #[arg(long, value_name = "MAJOR", conflicts_with = "pg_bindir")]
    pub pg_version: Option<u32>,
    /// Run the sandbox on the server binaries (initdb, postgres) in this directory (default:
    /// PGSTAGE_PG_BINDIR, else the first found).
    #[arg(long, value_name = "DIR")]
    pub pg_bindir: Option<PathBuf>,
    /// List the PostgreSQL server versions found on this machine, and which one a sandbox
    /// would use; then exit.
    #[arg(long)]
    pub list_versions: bool,
}

impl ServerArgs {
    pub fn choice(&self) -> ServerChoice {
        match (&self.pg_bindir, self.pg_version) {
            (Some(dir), _) => ServerChoice::BinDir(dir.clone()),
            (None, Some(major)) => ServerChoice::Version(major),
            (None, None) => ServerChoice::Default,
        }
    }

    /// Whether any option chose a server (they mean nothing without a sandbox).
    pub fn given(&self) -> bool {
        self.pg_version.is_some() || self.pg_bindir.is_some() || self.list_versions
    }

    /// How the choice was made, for the line that says which server a sandbox uses.
    fn origin(&self) -> String {
        match (&self.pg_bindir, self.pg_version) {
            (Some(_), _) => "--pg-bindir".to_owned(),
            (None, Some(major)) => format!("--pg-version {major}"),
            (None, None) if std::env::var_os(BINDIR_VAR).is_some() => BINDIR_VAR.to_owned(),
            (None, None) => "the first found; --pg-version or --pg-bindir choose another".to_owned(),
        }
    }

    /// "sandbox: PostgreSQL 17.10 (DIR), chosen by --pg-version 17".
    pub fn using(&self, binaries: &ServerBinaries) -> String {
        format!("sandbox: {binaries}, chosen by {}", self.origin())
    }
}

/// Print every server found and the one the sandbox would use.
pub fn list(args: &ServerArgs) -> Result<(), String> {
    let found = sandbox::installed();
    let chosen = sandbox::ServerChoice::find(&args.choice());
    println!("PostgreSQL server binaries found on this machine:");
    if found.is_empty() {
        println!("  none");
    }
    for b in &found {
        let mark = if chosen.as_ref().is_ok_and(|c| c.dir == b.dir) { "*" } else { " " };
        println!("{mark} {:<3} {:<8} {}", b.major, b.number(), b.dir.display());
    }
    match chosen {
        Ok(b) => {
            println!("(* the one a sandbox uses: {})", args.using(&b).trim_start_matches("sandbox: "));
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
