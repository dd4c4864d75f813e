//! `nudge`: overdue-payment reminders decided by tenants' WebAssembly policies.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use nudge_cli::{admin, conformance, demo, import, plugin_check, plugin_dev, report, serve, simulate, template};

/// Plugin calls make dozens of small host allocations each (the context
/// handed in, the decision handed back); mimalloc serves them faster than
/// glibc's malloc (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Decides and sends overdue-payment reminders with sandboxed policy plugins.
#[derive(Debug, Parser)]
#[command(name = "nudge", version, about, long_about = None)]
struct Cli {
    /// Host configuration file (TOML; see README, "Operator configuration").
    /// Default: the file named by NUDGE_CONFIG, else built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
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
    /// Operator settings of a tenant.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// A tenant's message templates (minijinja): upload, list, show, delete,
    /// preview, and the fallback locale.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// List a tenant's plugin incidents: what failed, why, and what decided instead.
    Incidents(admin::Target),
    /// A tenant's KPIs overall and by segment, tone, channel, step, experiment
    /// arm and invoice month; experiment verdicts; incidents. Text, --json,
    /// --csv, and --html FILE for a page with charts.
    Report(report::ReportOptions),
    /// The experiments a tenant runs: arms and weights, step, start and stop.
    #[command(subcommand)]
    Experiment(ExperimentCommand),
    /// Serve the HTTP API for tenants and operators on a data directory,
    /// running what falls due every second, until SIGTERM or Ctrl-C.
    Serve(serve::Options),
    /// Internal: compile a component read on stdin under a memory limit.
    #[command(name = "__compile-worker", hide = true)]
    CompileWorker {
        /// Address-space limit in bytes.
        memory_bytes: u64,
    },
}

#[derive(Debug, Subcommand)]
enum ExperimentCommand {
    /// Define an experiment, or replace the one of the same name.
    Set(report::SetOptions),
    /// List the tenant's experiments.
    List(admin::Target),
    /// Remove an experiment; its arms stay on the notices already decided.
    Remove {
        /// The experiment's name.
        name: String,
        #[command(flatten)]
        target: admin::Target,
    },
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Validate a template (syntax, fields, sizes; each issue with its line)
    /// and store it, replacing one with the same name, channel and locale.
    Upload(template::UploadOptions),
    /// List the tenant's templates and its fallback locale.
    List(admin::Target),
    /// Print one template's sources.
    Show {
        #[command(flatten)]
        key: template::KeyArgs,
        #[command(flatten)]
        target: admin::Target,
    },
    /// Delete a template; notices fall back to the next template in order.
    Delete {
        #[command(flatten)]
        key: template::KeyArgs,
        #[command(flatten)]
        target: admin::Target,
    },
    /// Render a template against a sample invoice (or --invoice ID) and print
    /// the subject, text, HTML and SMS segment count.
    Preview(template::PreviewOptions),
    /// Show or set the locale used when no template matches a customer's language.
    FallbackLocale {
        /// A language tag such as `en` or `de`; without it, show the current one.
        locale: Option<String>,
        #[command(flatten)]
        target: admin::Target,
    },
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Show a tenant's per-call plugin limits, or change them.
    Limits {
        #[command(flatten)]
        target: admin::Target,
        #[command(flatten)]
        changes: admin::LimitChanges,
    },
    /// Show when a tenant's notices may go out (send window, frequency caps,
    /// missed sends), or change it.
    Sending {
        #[command(flatten)]
        target: admin::Target,
        #[command(flatten)]
        changes: admin::SendingChanges,
    },
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
        /// Run the conformance kit instead: every fixture and edge case (paid,
        /// void, disputed, opted out, UTC+14, ...), each twice, checked against
        /// invariants such as "never notify on a paid invoice"; exit 1 naming
        /// each failed case and invariant.
        #[arg(long)]
        conformance: bool,
        /// The tenant limits to check under (default: the host's tenant
        /// defaults); a plugin with an embedded interpreter needs larger ones.
        #[command(flatten, next_help_heading = "Plugin limits to check under")]
        limits: admin::LimitFlags,
    },
    /// Validate a component (as `check` does) and store it as the tenant's next version.
    Upload {
        /// The component file (.wasm).
        file: PathBuf,
        #[command(flatten)]
        target: admin::Target,
        /// Make it the active version right away.
        #[arg(long)]
        activate: bool,
    },
    /// List a tenant's plugin versions, which is active, and why any was switched off.
    List(admin::Target),
    /// Make an uploaded version the active one.
    Activate {
        /// The version number (see `nudge plugin list`).
        version: u32,
        #[command(flatten)]
        target: admin::Target,
    },
    /// Make the newest earlier version that is not switched off the active one.
    Rollback(admin::Target),
    /// Create a new policy crate that builds and passes its own tests as generated.
    New(plugin_dev::NewOptions),
    /// Build a policy crate to a wasm32-wasip2 component, then check it as `check` does.
    Build(plugin_dev::BuildOptions),
    /// Replay past data through a component in a throw-away store and show
    /// its decisions and figures per step and segment; with --against, what
    /// would change if it replaced another component.
    Simulate(simulate::Options),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("NUDGE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(err) = nudge_cli::config::init(cli.config.as_deref()) {
        nudge_cli::errln!("error: {err:#}");
        return ExitCode::FAILURE;
    }
    if let Err(err) = nudge_cli::runtime::use_compile_worker() {
        nudge_cli::errln!("error: {err:#}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Demo(options) => demo::main(&options),
        Command::Import(options) => import::main(&options),
        Command::Plugin(PluginCommand::Check { file, json, conformance: true, limits }) => {
            conformance::main(&file, json, &limits)
        }
        Command::Plugin(PluginCommand::Check { file, json, conformance: false, limits }) => {
            plugin_check::main(&file, json, &limits)
        }
        Command::Plugin(PluginCommand::Upload { file, target, activate }) => admin::upload(&target, &file, activate),
        Command::Plugin(PluginCommand::List(target)) => admin::list(&target),
        Command::Plugin(PluginCommand::Activate { version, target }) => admin::activate(&target, version),
        Command::Plugin(PluginCommand::Rollback(target)) => admin::rollback(&target),
        Command::Plugin(PluginCommand::New(options)) => plugin_dev::new_main(&options),
        Command::Plugin(PluginCommand::Build(options)) => plugin_dev::build_main(&options),
        Command::Plugin(PluginCommand::Simulate(options)) => simulate::main(&options),
        Command::Tenant(TenantCommand::Limits { target, changes }) => admin::limits(&target, &changes),
        Command::Tenant(TenantCommand::Sending { target, changes }) => admin::sending(&target, &changes),
        Command::Template(TemplateCommand::Upload(options)) => template::upload(&options),
        Command::Template(TemplateCommand::List(target)) => template::list(&target),
        Command::Template(TemplateCommand::Show { key, target }) => template::show(&key, &target),
        Command::Template(TemplateCommand::Delete { key, target }) => template::delete(&key, &target),
        Command::Template(TemplateCommand::Preview(options)) => template::preview(&options),
        Command::Template(TemplateCommand::FallbackLocale { locale, target }) => {
            template::fallback_locale(locale.as_deref(), &target)
        }
        Command::Incidents(target) => admin::incidents(&target),
        Command::Report(options) => report::main(&options),
        Command::Experiment(ExperimentCommand::Set(options)) => report::set(&options),
        Command::Experiment(ExperimentCommand::List(target)) => report::list(&target),
        Command::Experiment(ExperimentCommand::Remove { name, target }) => report::remove(&name, &target),
        Command::Serve(options) => serve::main(&options),
        Command::CompileWorker { memory_bytes } => {
            return nudge_runtime::worker_main(&nudge_cli::config::limits(), memory_bytes);
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            nudge_cli::errln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
