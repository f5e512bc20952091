//! `relais`: parses the command line, sets up logging, runs the command, and maps
//! failures to one line on stderr and an exit code (2: usage or configuration,
//! 1: runtime failure).

use std::process::ExitCode;

use clap::Parser;
use relais::config::{Cli, Command, OrgCommand};
use relais::{RunError, ServeOptions};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message is several lines; the first names the setting and the problem.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("invalid usage")
                .trim_start_matches("error: ");
            eprintln!("relais: {first} (see relais --help)");
            return ExitCode::from(2);
        }
    };
    let unknown = relais::config::unknown_env_settings();
    if let Some(name) = unknown.first() {
        eprintln!("relais: unknown setting {name} in the environment (see relais --help for the RELAIS_* settings)");
        return ExitCode::from(2);
    }
    init_logging(&cli.settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relais: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relais: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), RunError> {
    let settings = cli.settings;
    match cli.command {
        Command::Serve { demo, no_worker } => {
            let listener = tokio::net::TcpListener::bind(settings.listen)
                .await
                .map_err(|e| RunError::Runtime(format!("cannot listen on {}: {e}", settings.listen)))?;
            let options = ServeOptions {
                demo,
                worker: !no_worker,
            };
            relais::launch(listener, settings, options, relais::shutdown_signal()).await
        }
        Command::Worker { once } => relais::run_worker(&settings, once, relais::shutdown_signal()).await,
        Command::Migrate => {
            let store = relais::open_store(&settings).await?;
            println!("Database is up to date ({}).", store.backend());
            store.close().await;
            Ok(())
        }
        Command::Org {
            command: OrgCommand::Create { slug, name, admin },
        } => {
            let link = relais::create_org(&settings, &slug, &name, &admin).await?;
            println!("Association {slug:?} created.");
            println!("One-time staff login link for {admin} (valid 30 minutes): {link}");
            Ok(())
        }
    }
}

fn init_logging(settings: &relais::Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
