//! The Connect & pre-flight tab: where to run (the sandbox, seeded with the plan's baseline or
//! a clone of staging's schema; fields, or a connection string), "Test connection", and the
//! pre-flight results: baseline expected vs actual, flagged when off.
//! The panel owns the connection form, the last connection answer and the guard's override.

use egui::RichText;

use super::{AMBER, GREEN, RED, section, status_label};
use crate::gui::command::UiCommand;
use crate::gui::connection::{self, ConnMode, ConnStatus, ConnectionForm, Seed};
use crate::gui::view::View;
use crate::plan::Section;
use crate::run_result::Status;
use crate::sandbox::{INSTALL_HINT, ServerBinaries};

/// The Connect & pre-flight tab, with the connection form.
#[derive(Default)]
pub struct ConnectPanel {
    pub form: ConnectionForm,
    /// The last connection test's (or refused start's) answer, for the target it was about.
    pub status: Option<ConnStatus>,
    /// Run even on a database the plan's target guard refuses.
    pub override_guard: bool,
}

impl ConnectPanel {
    pub fn show(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            section(ui, "Target", |ui| self.target(ui, view, commands));
            section(ui, "Pre-flight", |ui| preflight(ui, view));
        });
    }

    fn target(&mut self, ui: &mut egui::Ui, view: &View, commands: &mut Vec<UiCommand>) {
        let form = &mut self.form;
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.mode, ConnMode::Sandbox, "Sandbox")
                .on_hover_text("A throwaway local PostgreSQL seeded with the plan's baseline (a fresh database per run)");
            ui.radio_value(&mut form.mode, ConnMode::Fields, "Host and fields")
                .on_hover_text("Connect to staging by host, port, database, user");
            ui.radio_value(&mut form.mode, ConnMode::String, "Connection string / URL")
                .on_hover_text("A libpq connection string or postgres:// URL; PG* variables and ~/.pgpass fill in the rest");
        });
        match form.mode {
            ConnMode::Sandbox => {
                ui.horizontal(|ui| {
                    ui.label("Seeded with");
                    ui.radio_value(&mut form.seed, Seed::Baseline, "the plan's baseline")
                        .on_hover_text("The plan's baseline scripts, on the server binaries chosen below");
                    ui.radio_value(&mut form.seed, Seed::Clone, "a clone of staging's schema").on_hover_text(
                        "Staging's own schema, read with pg_dump --schema-only: its hand-made indexes, leftover columns, \
                         roles and extensions, on staging's major version",
                    );
                });
                match form.seed {
                    Seed::Baseline => {
                        ui.label(
                            "The sandbox runs PostgreSQL from the system's server binaries, as an unprivileged user, and deletes it on exit.",
                        );
                        server_version(form, ui);
                    }
                    Seed::Clone => clone_from(form, ui, view),
                }
            }
            mode => connection_fields(form, mode, ui, view),
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!view.busy, egui::Button::new("Test connection"))
                .on_hover_text(match (form.mode, form.seed) {
                    (ConnMode::Sandbox, Seed::Clone) => {
                        "Connect to staging once: its version, and whether this machine can clone it (nothing is started)"
                    }
                    _ => "Connect once and report the server",
                })
                .clicked()
            {
                commands.push(UiCommand::TestConnection);
            }
            ui.checkbox(&mut self.override_guard, "Override the plan's target guard")
                .on_hover_text("Run even on a database the plan refuses (named or marked as production): only if you are sure");
        });
        match &self.status {
            Some(ConnStatus::Connected { what, refused: None }) => {
                ui.colored_label(GREEN, format!("Connected: {what}"));
            }
            Some(ConnStatus::Connected { what, refused: Some(why) }) => {
                ui.colored_label(AMBER, RichText::new(format!("Connected: {what}")).strong());
                let then = if self.override_guard {
                    "the override above is ticked: a run would go ahead anyway"
                } else {
                    "a run there will be refused unless you tick the override above"
                };
                ui.colored_label(AMBER, format!("…but the plan's target guard refuses this database: {why}; {then}."));
            }
            Some(ConnStatus::Failed(e)) => {
                ui.colored_label(RED, RichText::new(e).strong());
            }
            None => {}
        }
    }
}

/// The staging a clone is read from: the same fields or string as a run on it.
fn clone_from(form: &mut ConnectionForm, ui: &mut egui::Ui, view: &View) {
    ui.label(
        "The sandbox runs staging's major version, seeded with staging's own schema: pg_dump --schema-only of the plan's \
         schemas, read-only, one connection, under the plan's lock_timeout; no row is copied, staging's roles are made \
         without passwords, and the lock findings are graded by staging's table sizes.",
    );
    ui.horizontal(|ui| {
        ui.label("Staging to clone from");
        ui.radio_value(&mut form.clone_from, ConnMode::Fields, "host and fields")
            .on_hover_text("Host, port, database, user, as for a run on staging");
        ui.radio_value(&mut form.clone_from, ConnMode::String, "connection string or URL")
            .on_hover_text("A libpq connection string or postgres:// URL; PG* variables and ~/.pgpass fill in the rest");
    });
    let mode = form.clone_from;
    connection_fields(form, mode, ui, view);
}

/// Staging's host and fields, or its connection string (with the recent ones).
fn connection_fields(form: &mut ConnectionForm, mode: ConnMode, ui: &mut egui::Ui, view: &View) {
    if mode == ConnMode::String {
        conninfo_field(ui, &mut form.conninfo);
        if !view.settings.recent_connections.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label("Recent:");
                for c in &view.settings.recent_connections {
                    if ui.small_button(c).on_hover_text("Use this connection (its password is not remembered)").clicked() {
                        form.conninfo = c.clone();
                    }
                }
            });
        }
        return;
    }
    egui::Grid::new("conn_fields").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        let fields: [(&str, &mut String, &str); 4] = [
            ("Host", &mut form.host, "Host name, IP address, or unix socket directory"),
            ("Port", &mut form.port, "TCP port (5432 by default)"),
            ("Database", &mut form.dbname, "The staging database"),
            ("User", &mut form.user, "The role to connect as"),
        ];
        for (label, value, help) in fields {
            ui.label(label);
            ui.add(egui::TextEdit::singleline(value).desired_width(280.0)).on_hover_text(help);
            ui.end_row();
        }
        ui.label("Password");
        ui.add(egui::TextEdit::singleline(&mut form.password).password(true).desired_width(280.0))
            .on_hover_text("Never stored, logged or reported; leave empty to use PGPASSWORD or ~/.pgpass");
        ui.end_row();
        ui.label("TLS (sslmode)");
        egui::ComboBox::from_id_salt("sslmode")
            .selected_text(form.sslmode.clone())
            .show_ui(ui, |ui| {
                for mode in ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] {
                    ui.selectable_value(&mut form.sslmode, mode.to_owned(), mode);
                }
            })
            .response
            .on_hover_text("verify-full checks the certificate and the host name");
        ui.end_row();
    });
}

/// The sandbox's PostgreSQL: the first found, or one of the versions found on this machine
/// (rehearse on staging's major version).
fn server_version(form: &mut ConnectionForm, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.label("PostgreSQL");
        let Some(found) = &form.pg_versions else {
            ui.label("looking for the server binaries on this machine…");
            return;
        };
        if found.is_empty() {
            ui.label(RichText::new(format!("no server binaries found: {INSTALL_HINT}")).color(RED));
            return;
        }
        let label = |b: &ServerBinaries| format!("{}  ({})", b.number(), b.dir.display());
        let selected = match &form.pg_bindir {
            Some(dir) => found.iter().find(|b| &b.dir == dir).map_or_else(|| dir.display().to_string(), label),
            None => format!("default: {}", label(&found[0])),
        };
        egui::ComboBox::from_label("server binaries")
            .selected_text(selected)
            .width(420.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut form.pg_bindir, None, format!("default: {}", label(&found[0])));
                for b in found {
                    ui.selectable_value(&mut form.pg_bindir, Some(b.dir.clone()), label(b));
                }
            })
            .response
            .on_hover_text("Rehearse on the major version staging runs: a rehearsal on one says little about another");
    });
}

/// The connection string field. While it is not being edited its password shows as dots.
fn conninfo_field(ui: &mut egui::Ui, conninfo: &mut String) {
    let id = ui.make_persistent_id("conninfo_field");
    let editing = ui.memory(|m| m.has_focus(id));
    let mut shown = if editing { std::mem::take(conninfo) } else { connection::masked(conninfo) };
    let response = ui
        .add(
            egui::TextEdit::singleline(&mut shown)
                .id(id)
                .hint_text("host=staging.db port=5432 dbname=app_staging user=dba sslmode=verify-full")
                .desired_width(f32::INFINITY),
        )
        .on_hover_text("A password given here is used for this session only: never stored or logged, and shown as dots");
    if editing {
        *conninfo = shown;
    } else if response.gained_focus() || response.has_focus() {
        ui.ctx().request_repaint(); // the next frame shows the real text to edit
    }
}

fn preflight(ui: &mut egui::Ui, view: &View) {
    let rows: Vec<_> = view.run.checks.iter().filter(|c| c.section == Section::Preflight.as_str()).collect();
    if rows.is_empty() {
        ui.label("Pre-flight runs as the first step of a run (Run tab: Next step or Run all).");
        return;
    }
    egui::Grid::new("preflight").striped(true).num_columns(5).spacing([14.0, 4.0]).show(ui, |ui| {
        for h in ["Status", "Check", "Expected", "Actual", "Detail"] {
            ui.strong(h);
        }
        ui.end_row();
        for row in rows {
            let r = &row.result;
            status_label(ui, r.status);
            ui.label(&r.title);
            ui.label(super::results::value_text(r, &r.expected));
            let actual = RichText::new(super::results::value_text(r, &r.actual));
            ui.label(if matches!(r.status, Status::Fail | Status::Warn) { actual.strong() } else { actual });
            detail(ui, &r.detail);
            ui.end_row();
        }
    });
    drift(ui, &view.run.drift);
}

/// A check's detail on one line, cut to the window's width; the whole of it on hover.
fn detail(ui: &mut egui::Ui, detail: &str) {
    let mut lines = detail.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        ui.label("");
        return;
    };
    let more = lines.count();
    let shown = if more == 0 { first.to_owned() } else { format!("1 of {}: {first}", more + 1) };
    ui.add(egui::Label::new(RichText::new(shown).weak()).truncate()).on_hover_text(detail);
}

/// The Drift table: what this database holds that the rehearsal did not, or lacks.
fn drift(ui: &mut egui::Ui, drift: &[crate::run_result::Drift]) {
    if drift.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.strong(format!(
        "Drift from the rehearsed baseline: {} difference{}",
        drift.len(),
        if drift.len() == 1 { "" } else { "s" }
    ));
    egui::Grid::new("drift").striped(true).num_columns(3).spacing([14.0, 4.0]).show(ui, |ui| {
        for h in ["Kind", "Object", "Difference"] {
            ui.strong(h);
        }
        ui.end_row();
        for d in drift {
            ui.label(&d.kind);
            ui.monospace(&d.object);
            ui.label(&d.what);
            ui.end_row();
        }
    });
}
