//! `preau-cli`: Préau without a window, over the same core and the same data directory.
//! For the syndicate's IT, for scripts and for tests. Errors: one French line on stderr,
//! non-zero exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use preau_core::secrets::{OsKeyring, SecretStore};
use preau_core::workflow::VisitExport;
use preau_core::Store;

mod plan_text;
mod proposals_cmd;
mod sync_cmd;

#[derive(Parser)]
#[command(name = "preau-cli", version, about = "Préau en ligne de commande")]
struct Cli {
    /// Data directory (default: $PREAU_DATA_DIR, else the app's data directory)
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Communes of the département
    Communes {
        #[command(subcommand)]
        command: CommunesCommand,
    },
    /// Schools
    Schools {
        #[command(subcommand)]
        command: SchoolsCommand,
    },
    /// Visits
    Visits {
        #[command(subcommand)]
        command: VisitsCommand,
    },
    /// Printed proposals (PDF)
    Proposals {
        #[command(subcommand)]
        command: proposals_cmd::ProposalsCommand,
    },
    /// Letterhead and signatory printed on documents
    Settings {
        #[command(subcommand)]
        command: proposals_cmd::SettingsCommand,
    },
    /// Enrolls this laptop with the syndicate's server (URL and one-time code)
    Enroll(sync_cmd::EnrollArgs),
    /// Syncs with the syndicate's server
    Sync(sync_cmd::SyncArgs),
    /// Checks the store without changing it (integrity, links, change log); exits 1 on a problem
    Doctor,
    /// Sets aside a store whose key is not in this session's keyring (renamed, never
    /// deleted), so that a new one is made; then `enroll` and `sync` bring the visits back
    StartOver,
}

#[derive(Subcommand)]
enum CommunesCommand {
    /// Prints the matches, best first: INSEE<TAB>name<TAB>population
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Subcommand)]
enum SchoolsCommand {
    /// Imports the national school directory CSV (fr-en-annuaire-education, `;`-separated)
    Import { file: PathBuf },
    /// Lists the schools of a commune: id<TAB>UAI<TAB>name<TAB>classes<TAB>pupils
    List { insee: String },
}

#[derive(Subcommand)]
enum VisitsCommand {
    /// Lists the visits: id<TAB>date<TAB>commune<TAB>participants
    List,
    /// Writes a visit as JSON (format "preau-visit", versioned) to stdout or --out
    Export {
        id: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Reads a visit exported as JSON (replaces the visit with the same id)
    Import { file: PathBuf },
    /// Prints the funding plan of each scenario of a visit
    Plan {
        id: String,
        /// Machine-readable output (the plans as JSON)
        #[arg(long)]
        json: bool,
    },
    /// Plans a visit and prints its id
    Create {
        /// INSEE code of the commune
        #[arg(long)]
        commune: String,
        /// Local date and time, e.g. 2026-12-03T18:00
        #[arg(long)]
        at: String,
    },
}

fn data_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &cli.data_dir {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os("PREAU_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join(preau_core::APP_IDENTIFIER))
        .ok_or_else(|| anyhow!("impossible de trouver le dossier de données : utilisez --data-dir"))
}

/// Core errors carry the French message meant for the user.
fn user(e: preau_core::Error) -> anyhow::Error {
    tracing::debug!(error = %e, "command failed");
    match e {
        preau_core::Error::ImportRejected(rows) => {
            let lines: Vec<String> = rows
                .iter()
                .map(|r| format!("ligne {} : {}", r.line, r.reason))
                .collect();
            anyhow!(
                "{} {}",
                preau_core::Error::ImportRejected(rows.clone()).user_message(),
                lines.join(" ; ")
            )
        }
        e => anyhow!(e.user_message()),
    }
}

/// The OS keyring, where the app keeps the store's key and the device token: the CLI
/// reads the same entries, so both open the same encrypted store.
fn secrets() -> Arc<dyn SecretStore> {
    Arc::new(OsKeyring::new())
}

/// Opens the data directory's store as the app does: encrypted, with its key from the
/// keyring (made on first use; a plain store from an earlier Préau is encrypted first).
fn open(dir: &Path) -> anyhow::Result<Store> {
    Store::open_encrypted(dir, secrets()).map_err(user)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = data_dir(&cli)?;
    match cli.command {
        Command::Communes {
            command: CommunesCommand::Search { text, limit },
        } => {
            let store = open(&dir)?;
            for hit in store.communes_search(&text, limit) {
                println!("{}\t{}\t{}", hit.insee, hit.name, hit.population);
            }
        }
        Command::Schools {
            command: SchoolsCommand::Import { file },
        } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("impossible de lire {}", file.display()))?;
            let mut store = open(&dir)?;
            let report = store.schools_import(&bytes).map_err(user)?;
            println!(
                "{} école(s) ajoutée(s), {} mise(s) à jour, {} ligne(s) ignorée(s) (hors département ou hors écoles), {} ligne(s) d'établissements multi-sites comptée(s) une fois",
                report.added, report.updated, report.skipped, report.merged
            );
        }
        Command::Schools {
            command: SchoolsCommand::List { insee },
        } => {
            let store = open(&dir)?;
            store.commune(&insee).map_err(user)?;
            let fmt = |n: Option<u32>| n.map_or_else(String::new, |n| n.to_string());
            for s in store.schools_of(&insee).map_err(user)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    s.id,
                    s.uai.unwrap_or_default(),
                    s.name,
                    fmt(s.classes),
                    fmt(s.pupils)
                );
            }
        }
        Command::Visits {
            command: VisitsCommand::List,
        } => {
            let store = open(&dir)?;
            for v in store.visits_list().map_err(user)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    v.id,
                    v.scheduled_at.format("%Y-%m-%d %H:%M"),
                    v.commune_name,
                    v.participant_count
                );
            }
        }
        Command::Visits {
            command: VisitsCommand::Export { id, out },
        } => {
            let store = open(&dir)?;
            let doc = store.visit_export(&id).map_err(user)?;
            let text = serde_json::to_string_pretty(&doc)? + "\n";
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("impossible d'écrire {}", path.display()))?,
                None => print!("{text}"),
            }
        }
        Command::Visits {
            command: VisitsCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("impossible de lire {}", file.display()))?;
            let doc = VisitExport::parse(&text).map_err(user)?;
            let mut store = open(&dir)?;
            let id = store.visit_import(&doc).map_err(user)?;
            println!("{id}");
        }
        Command::Visits {
            command: VisitsCommand::Plan { id, json },
        } => {
            let store = open(&dir)?;
            let plans = store.plans(&id).map_err(user)?;
            if json {
                let value: Vec<serde_json::Value> = plans
                    .iter()
                    .map(|(s, p)| serde_json::json!({ "scenario": s, "plan": p }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print!("{}", plan_text::render(&plans));
            }
        }
        Command::Visits {
            command: VisitsCommand::Create { commune, at },
        } => {
            let mut store = open(&dir)?;
            let visit = store.visit_create(&commune, &at).map_err(user)?;
            println!("{}", visit.id);
        }
        Command::Proposals { command } => proposals_cmd::proposals(&dir, command)?,
        Command::Settings { command } => proposals_cmd::settings(&dir, command)?,
        Command::Enroll(args) => sync_cmd::enroll(&dir, args)?,
        Command::Sync(args) => sync_cmd::sync(&dir, args)?,
        Command::Doctor => doctor(&dir)?,
        Command::StartOver => start_over(&dir)?,
    }
    Ok(())
}

/// The app's « Mettre ces données de côté et relier ce portable au serveur »: only for a
/// store whose key is missing; one that opens is never set aside.
fn start_over(dir: &Path) -> anyhow::Result<()> {
    match preau_core::store_key(dir, secrets().as_ref(), false) {
        Err(preau_core::Error::KeyMissing { .. }) => {
            let aside = preau_core::set_aside_locked_store(dir).map_err(user)?;
            drop(open(dir)?);
            println!(
                "Données illisibles mises de côté dans {} (rien n'a été supprimé). Nouvelles données prêtes : enrôlez ce poste (preau-cli enroll URL CODE) puis synchronisez (preau-cli sync) pour récupérer vos visites.",
                aside.display()
            );
            Ok(())
        }
        Err(e) => Err(user(e)),
        Ok(_) => bail!(
            "les données de {} s'ouvrent avec la clé du trousseau : rien n'a été mis de côté.",
            dir.display()
        ),
    }
}

/// Prints what was checked and every problem; an error (exit 1) when there is one.
fn doctor(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(preau_core::DB_FILE);
    if !path.exists() {
        bail!("aucun fichier de données dans {}", dir.display());
    }
    // Read-only: a store not encrypted yet is checked as it is, no key is made for it.
    let key = preau_core::store_key(dir, secrets().as_ref(), false).map_err(user)?;
    let report = preau_core::doctor::check_with_key(&path, key.as_ref()).map_err(user)?;
    for c in &report.checked {
        println!("vérifié : {c}");
    }
    if report.problems.is_empty() {
        println!("Aucun problème trouvé dans {}.", path.display());
        return Ok(());
    }
    for p in &report.problems {
        println!("problème : {p}");
    }
    bail!(
        "{} problème(s) trouvé(s) dans {} : faites une copie du fichier et signalez-le au service informatique du syndicat.",
        report.problems.len(),
        path.display()
    )
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PREAU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}
