//! The `pgstage` binary: parses the command line and hands over to [`cli`].

mod cli;

fn main() -> std::process::ExitCode {
    pgstage::sandbox::install_signal_handler();
    cli::main()
}
