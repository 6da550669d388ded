//! The read-only view the panels render from: the plan, the run, the checklist, the settings,
//! the log and the worker's state, borrowed from the app for one frame. Nothing is written
//! through it (panels ask for changes with [`UiCommand`](super::command::UiCommand)s), so a
//! panel renders a frozen run result as well as a live run ([`View::of_run`]).

use std::collections::BTreeMap;

use super::app::Settings;
use super::dialog::{Dialogs, Unavailable};
use super::log::LogLine;
use super::run_state::RunView;
use crate::draft::runbook::Mapping;
use crate::plan::LoadedPlan;
use crate::run_result::Acknowledgement;

pub struct View<'a> {
    pub plan: Option<&'a LoadedPlan>,
    /// Why the plan could not be loaded (with file:line:col).
    pub plan_error: Option<&'a str>,
    /// When the plan was drafted from a run-book: what became of each of its lines.
    pub imported: Option<&'a [Mapping]>,
    pub run: &'a RunView,
    /// Manual items ticked by the operator for the next run: id → who / when.
    pub acks: &'a BTreeMap<String, Acknowledgement>,
    /// The worker is processing a command.
    pub busy: bool,
    /// What the worker prepares before a run starts (e.g. "starting the sandbox: initdb…").
    pub preparing: Option<&'a str>,
    pub settings: &'a Settings,
    pub log: &'a [LogLine],
    /// The target chosen on the Connect tab (what the next run would use) is the sandbox.
    pub target_is_sandbox: bool,
    /// The sandbox chosen is seeded with a clone of staging's schema.
    pub target_is_clone: bool,
    /// The file dialogs (whether a native one can be shown here).
    pub dialogs: &'a dyn Dialogs,
    /// A run result opened read-only (the review mode).
    pub review: Option<&'a super::review::Review>,
}

static NO_ACKS: BTreeMap<String, Acknowledgement> = BTreeMap::new();
static DEFAULT_SETTINGS: Settings =
    Settings { recent_plans: Vec::new(), recent_connections: Vec::new(), dark: true, operator: String::new() };

impl<'a> View<'a> {
    /// A view of `run` alone (e.g. [`RunView::finished`] from a frozen `run.json`), with its
    /// plan if known: no checklist, no log, nothing busy, default settings, no file dialog.
    pub fn of_run(run: &'a RunView, plan: Option<&'a LoadedPlan>) -> Self {
        Self {
            plan,
            plan_error: None,
            imported: None,
            run,
            acks: &NO_ACKS,
            busy: false,
            preparing: None,
            settings: &DEFAULT_SETTINGS,
            log: &[],
            target_is_sandbox: run.result.as_ref().is_some_and(|r| r.sandbox.is_some()),
            target_is_clone: run.result.as_ref().is_some_and(|r| r.clone.is_some()),
            dialogs: &Unavailable,
            review: None,
        }
    }

    /// The manual checklist items not ticked yet (a run cannot start before they are).
    pub fn unticked(&self) -> Vec<String> {
        let Some(plan) = self.plan else { return vec![] };
        plan.plan.preflight.manual.iter().filter(|m| !self.acks.contains_key(&m.id)).map(|m| m.title.clone()).collect()
    }

    /// Why a run cannot start now, if it cannot.
    pub fn why_not_startable(&self) -> Option<String> {
        if self.review.is_some() {
            return Some("This is a review of an earlier run (read-only): open a plan to run it".into());
        }
        if self.plan.is_none() {
            return Some("Open a plan first".into());
        }
        if self.busy {
            return Some("The worker is busy".into());
        }
        let unticked = self.unticked();
        (!unticked.is_empty()).then(|| {
            format!(
                "Tick the manual checklist first (Plan tab): {} not confirmed yet — {}",
                crate::report::content::count_of(unticked.len(), "items"),
                unticked.join(", ")
            )
        })
    }
}
