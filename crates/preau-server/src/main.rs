//! `preau-server`: the syndicate's central server and its admin subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "preau-server", version, about = "Serveur central de Préau")]
struct Cli {
    /// Data directory of the embedded SQLite database (default: current directory).
    #[arg(long, global = true, default_value = ".")]
    data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL (or `sqlite://FILE`); default: SQLite in --data-dir.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
    /// Create a one-time enrollment code for an adviser's laptop.
    Enroll {
        #[arg(long)]
        adviser: String,
    },
    /// Enrolled devices.
    Devices {
        #[command(subcommand)]
        command: DevicesCommand,
    },
    /// Publish a new version of reference data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    List,
    Revoke { id: Uuid },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The group-purchase catalogue (CSV).
    Catalogue { file: PathBuf },
    /// The funding rules (JSON).
    Funding { file: PathBuf },
    /// Schools (CSV of the national directory, fr-en-annuaire-education).
    Schools { file: PathBuf },
}

fn main() {
    if let Err(e) = run() {
        eprintln!("preau-server : {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("démarrage du moteur asynchrone")?;
    runtime.block_on(async_main(cli))
}

async fn async_main(cli: Cli) -> anyhow::Result<()> {
    let storage = preau_server::storage::open(cli.database_url.as_deref(), &cli.data_dir)
        .await
        .context("ouverture de la base de données")?;
    match cli.command {
        Command::Serve { bind } => {
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("écoute sur {bind}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "serving");
            println!("preau-server écoute sur http://{addr}");
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
                tracing::info!("shutting down");
            };
            preau_server::serve(listener, storage, shutdown).await?;
        }
        Command::Enroll { adviser } => {
            let (code, expires) =
                preau_server::admin::create_enrollment(storage.as_ref(), &adviser).await?;
            println!(
                "Code d'enrôlement pour {adviser}, valable jusqu'au {} (UTC) : {code}",
                expires.format("%Y-%m-%d %H:%M")
            );
        }
        Command::Devices {
            command: DevicesCommand::List,
        } => {
            let devices = preau_server::admin::list_devices(storage.as_ref()).await?;
            if devices.is_empty() {
                println!("Aucun appareil enrôlé.");
            }
            for d in devices {
                let state = match d.revoked_at {
                    Some(t) => format!("révoqué le {}", t.format("%Y-%m-%d %H:%M")),
                    None => "actif".into(),
                };
                println!(
                    "{}\t{}\t{}\tenrôlé le {}\t{state}",
                    d.id,
                    d.adviser,
                    d.name,
                    d.enrolled_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        Command::Devices {
            command: DevicesCommand::Revoke { id },
        } => {
            if !preau_server::admin::revoke(storage.as_ref(), id).await? {
                anyhow::bail!("aucun appareil {id}");
            }
            println!("Appareil {id} révoqué.");
        }
        Command::Import { command } => {
            let (kind, file) = match command {
                ImportCommand::Catalogue { file } => ("catalogue", file),
                ImportCommand::Funding { file } => ("funding", file),
                ImportCommand::Schools { file } => ("schools", file),
            };
            let p = preau_server::admin::import_reference(storage.as_ref(), kind, &file)
                .await
                .with_context(|| format!("import de {}", file.display()))?;
            println!(
                "{} : version {} publiée ({} entrées).",
                p.kind, p.version, p.entries
            );
        }
    }
    Ok(())
}
