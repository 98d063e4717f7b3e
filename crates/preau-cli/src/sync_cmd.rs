//! `preau-cli enroll URL CODE` and `preau-cli sync`: progress on stderr, summary on stdout.

use std::io::Write;
use std::path::Path;

use anyhow::anyhow;
use clap::Args;
use preau_sync::{Progress, SyncOptions};

#[derive(Args)]
pub struct EnrollArgs {
    /// The server's address, e.g. https://sync.somme-numerique.fr
    url: String,
    /// The one-time code printed by `preau-server enroll`
    code: String,
    /// Name of this laptop on the server (default: the host name)
    #[arg(long)]
    name: Option<String>,
    /// Allow plain HTTP to a server other than this computer
    #[arg(long)]
    allow_http: bool,
}

#[derive(Args)]
pub struct SyncArgs {
    /// Allow plain HTTP to a server other than this computer
    #[arg(long)]
    allow_http: bool,
    /// Only print the sync state (server, changes waiting, conflicts)
    #[arg(long)]
    status: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    preau_sync::runtime().map_err(|e| anyhow!("impossible de démarrer la synchronisation : {e}"))
}

pub fn enroll(dir: &Path, args: EnrollArgs) -> anyhow::Result<()> {
    let mut store = crate::open(dir)?;
    let opts = SyncOptions {
        allow_plain_http: args.allow_http,
        ..SyncOptions::default()
    };
    let name = args.name.unwrap_or_else(preau_sync::host_name);
    let enrolled = runtime()?
        .block_on(preau_sync::enroll(
            &mut store, &args.url, &args.code, &name, opts,
        ))
        .map_err(|e| anyhow!(e.user_message()))?;
    println!(
        "Poste « {} » enrôlé pour {} (appareil {}, code {} dans les numéros de proposition).",
        enrolled.device_name, enrolled.adviser, enrolled.device_id, enrolled.device_code
    );
    Ok(())
}

pub fn sync(dir: &Path, args: SyncArgs) -> anyhow::Result<()> {
    let mut store = crate::open(dir)?;
    if args.status {
        let o = store.sync_overview().map_err(crate::user)?;
        println!(
            "Serveur : {}",
            o.server_url.as_deref().unwrap_or("(non enrôlé)")
        );
        println!(
            "Dernière synchronisation : {}",
            o.last_sync.as_deref().unwrap_or("jamais")
        );
        println!("Modifications en attente d'envoi : {}", o.pending);
        println!("Conflits à résoudre : {}", o.conflicts);
        for c in store.sync_conflicts().map_err(crate::user)? {
            println!(
                "  {} {} {} : ici {} / autre poste {}",
                c.table, c.record_id, c.field, c.local_value, c.other_value
            );
        }
        return Ok(());
    }
    let opts = SyncOptions {
        allow_plain_http: args.allow_http,
        ..SyncOptions::default()
    };
    let mut stderr = std::io::stderr();
    let mut progress = |p: Progress| {
        let line = match p {
            Progress::Pushing { done, total } => format!("Envoi : {done} / {total}"),
            Progress::Pulling { received, total: 0 } => format!("Réception : {received}"),
            Progress::Pulling { received, total } => format!("Réception : {received} / {total}"),
            Progress::Reference => "Données de référence reçues".into(),
            Progress::Applying => "Application des changements reçus".into(),
            Progress::Retrying { attempt } => {
                format!("Connexion interrompue, nouvel essai ({attempt})")
            }
        };
        let _ = writeln!(stderr, "{line}");
    };
    let report = runtime()?
        .block_on(preau_sync::sync(&mut store, opts, &mut progress))
        .map_err(|e| anyhow!(e.user_message()))?;
    println!(
        "Synchronisation terminée : {} modification(s) envoyée(s), {} reçue(s), {} appliquée(s).",
        report.pushed, report.pulled, report.applied
    );
    if !report.reference_updated.is_empty() {
        println!(
            "Données de référence mises à jour : {}.",
            report.reference_updated.join(", ")
        );
    }
    if report.waiting > 0 {
        println!(
            "{} élément(s) reçu(s) en attente (ils seront appliqués à la prochaine synchronisation).",
            report.waiting
        );
    }
    if report.open_conflicts > 0 {
        println!(
            "{} conflit(s) à résoudre : deux postes ont modifié la même information (preau-cli sync --status).",
            report.open_conflicts
        );
    }
    Ok(())
}
