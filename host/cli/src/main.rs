//! `nudge`: overdue-payment reminders decided by tenants' WebAssembly policies.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use nudge_cli::{demo, import, plugin_check};

/// Decides and sends overdue-payment reminders with sandboxed policy plugins.
#[derive(Debug, Parser)]
#[command(name = "nudge", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay the real accounts-receivable history (2012-01-01 to 2014-01-31)
    /// through the bundled standard policy on a virtual clock, and summarise.
    Demo(demo::Options),
    /// Import customers, invoices and settlements from an accounts-receivable CSV.
    Import(import::Options),
    /// Work with policy plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Validate a component against the nudge:policy world and dry-run it on
    /// fixture contexts; exit 0 if accepted, 1 with the reason if not.
    Check {
        /// The component file (.wasm).
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("NUDGE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(options) => demo::main(&options),
        Command::Import(options) => import::main(&options),
        Command::Plugin(PluginCommand::Check { file, json }) => plugin_check::main(&file, json),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
