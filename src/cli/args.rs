//! Argument groups shared by several commands (flattened into each).

use std::path::PathBuf;

use clap::Args;
use pgstage::draft::Output;

/// Where a drafting command writes its plan.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// The plan to write; paths in it are relative to it.
    #[arg(short = 'o', long = "output", value_name = "PLAN", default_value = "plan.ron")]
    pub plan: PathBuf,
    /// Write over an existing file.
    #[arg(long)]
    pub force: bool,
}

impl OutputArgs {
    pub fn output(&self) -> Output {
        Output { plan: self.plan.clone(), force: self.force }
    }
}
