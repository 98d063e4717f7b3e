//! `preau-server`: the syndicate's central server and its admin subcommands.
//!
//! Settings come from the command line, else from the configuration file (TOML, keys
//! `bind`, `data_dir`, `database_url`, `participants_retention`, the transport's limits,
//! `token_idle_days`, `trusted_proxies`, `tls_cert` and `tls_key` (README): `--config FILE`, by default
//! `/etc/preau-server/preau-server.toml` when it exists, which the Debian package
//! installs), else from the built-in defaults. `serve` and the admin commands read the
//! same file, so they work on the same database.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use preau_server::reference::ReferenceKind;
use uuid::Uuid;

/// Read when `--config` is not given and the file exists.
const DEFAULT_CONFIG: &str = "/etc/preau-server/preau-server.toml";
const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Parser)]
#[command(name = "preau-server", version, about = "Serveur central de Préau")]
struct Cli {
    /// Configuration file (TOML: bind, data_dir, database_url); default:
    /// /etc/preau-server/preau-server.toml when it exists. Options given here win.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory of the embedded SQLite database (default: data_dir of the
    /// configuration file, else the current directory).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `postgres://…` for PostgreSQL (or `sqlite://FILE`); default: SQLite in --data-dir.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The configuration file. Every key is optional; unknown keys are refused (a typo
/// must not silently fall back to a default).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    bind: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    /// How long participants' personal data is kept after their visit (`3y`, `18m`,
    /// `400d`): `serve` anonymises the participants of older visits at start and then
    /// daily. Absent: kept until erased by hand.
    participants_retention: Option<String>,
    /// Connections served at once (more wait in the listen backlog).
    max_connections: Option<usize>,
    /// Time to send a request's head; also how long a kept-alive connection may wait.
    header_timeout_secs: Option<u64>,
    /// Time to send a request's body.
    body_timeout_secs: Option<u64>,
    /// Time from a request's head to its answer (else 408 request_timeout).
    request_timeout_secs: Option<u64>,
    /// A connection where nothing moves for this long, outside a request, is closed.
    idle_timeout_secs: Option<u64>,
    /// A device token unused for this many days is refused (expired_token).
    token_idle_days: Option<u32>,
    /// Reverse proxies whose X-Forwarded-For names the client.
    trusted_proxies: Option<Vec<IpAddr>>,
    /// Built-in TLS: certificate chain and private key (PEM), reloaded when they change.
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    /// Changes one device may push per hour (else 429 quota_exceeded).
    changes_per_hour: Option<u64>,
}

/// The server's options from the file, the command line's TLS files winning.
fn server_options(
    file: &Config,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
) -> anyhow::Result<preau_server::ServerOptions> {
    let d = preau_server::listener::Limits::default();
    let secs = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_secs);
    let limits = preau_server::listener::Limits {
        max_connections: file.max_connections.unwrap_or(d.max_connections),
        header_timeout: secs(file.header_timeout_secs, d.header_timeout),
        body_timeout: secs(file.body_timeout_secs, d.body_timeout),
        request_timeout: secs(file.request_timeout_secs, d.request_timeout),
        idle_timeout: secs(file.idle_timeout_secs, d.idle_timeout),
    };
    if limits.check().is_err() {
        anyhow::bail!(
            "max_connections doit être entre 1 et 100000, et chaque délai (…_timeout_secs) \
             entre 1 et 86400 secondes"
        );
    }
    let auth = preau_server::auth::AuthPolicy {
        token_idle: chrono::Duration::days(i64::from(token_idle_days(file)?)),
    };
    let tls = match (
        tls_cert.or_else(|| file.tls_cert.clone()),
        tls_key.or_else(|| file.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => Some(preau_server::tls::TlsFiles { cert, key }),
        (None, None) => None,
        _ => anyhow::bail!(
            "le certificat et la clé TLS vont ensemble : donnez --tls-cert et --tls-key              (ou tls_cert et tls_key)"
        ),
    };
    let quota = match file.changes_per_hour {
        None => preau_server::quota::PerHour::default(),
        Some(n) => preau_server::quota::PerHour::checked(n).ok_or_else(|| {
            anyhow::anyhow!("changes_per_hour doit être entre 1 et 1000000000 (trouvé : {n})")
        })?,
    };
    Ok(preau_server::ServerOptions {
        limits,
        auth,
        trusted_proxies: file.trusted_proxies.clone().unwrap_or_default(),
        tls,
        quota,
    })
}

fn token_idle_days(file: &Config) -> anyhow::Result<u32> {
    let days = file
        .token_idle_days
        .unwrap_or(preau_server::auth::DEFAULT_TOKEN_IDLE_DAYS);
    if !(1..=3650).contains(&days) {
        anyhow::bail!("token_idle_days doit être entre 1 et 3650 (trouvé : {days})");
    }
    Ok(days)
}

/// Reads `--config`, or the default file when it exists (a missing `--config` file is
/// an error; a missing default file is no configuration).
fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let (path, required) = match explicit {
        Some(p) => (p, true),
        None => (Path::new(DEFAULT_CONFIG), false),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Config::default())
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("lecture de la configuration {}", path.display()))
        }
    };
    parse_config(&text).with_context(|| format!("configuration {}", path.display()))
}

fn parse_config(text: &str) -> anyhow::Result<Config> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message()))
}

/// What the server runs with: each setting from the command line, else the file, else
/// the default.
#[derive(Debug, PartialEq)]
struct Settings {
    data_dir: PathBuf,
    database_url: Option<String>,
}

fn settings(cli_data_dir: Option<PathBuf>, cli_url: Option<String>, file: &Config) -> Settings {
    Settings {
        data_dir: cli_data_dir
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(".")),
        database_url: cli_url.or_else(|| file.database_url.clone()),
    }
}

/// Run as root on an SQLite database whose directory belongs to another user (the
/// service's), a command would leave files there that the service cannot write: refused,
/// with the command to use instead.
fn refuse_root_on_foreign_data(settings: &Settings) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let dir = match settings.database_url.as_deref() {
        None => settings.data_dir.clone(),
        Some(url) if url.starts_with("sqlite://") => {
            let file = Path::new(url.trim_start_matches("sqlite://"));
            match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        }
        Some(_) => return Ok(()),
    };
    // The owner of /proc/self is this process's effective user.
    let (Ok(me), Ok(data)) = (std::fs::metadata("/proc/self"), std::fs::metadata(&dir)) else {
        return Ok(());
    };
    if me.uid() != 0 || data.uid() == 0 {
        return Ok(());
    }
    let owner = user_name(data.uid()).unwrap_or_else(|| data.uid().to_string());
    anyhow::bail!(
        "les données ({}) appartiennent à l'utilisateur {owner} : lancez la commande en son nom \
         (sudo -u {owner} preau-server …) pour ne pas y laisser de fichiers de root",
        dir.display()
    )
}

fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid.to_string()).then(|| name.to_string())
    })
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on (default: bind of the configuration file, else
        /// 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Serve HTTPS with this certificate chain (PEM), reloaded when the file changes.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
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
    /// Synced records.
    Records {
        #[command(subcommand)]
        command: RecordsCommand,
    },
    /// Visits.
    Visits {
        #[command(subcommand)]
        command: VisitsCommand,
    },
    /// Participants' personal data (RGPD): export, erase, anonymise past a period.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
    /// The syndicate's staff accounts for the back-office (/bureau).
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create an account; prints a one-time link to set its password.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, coordinator, adviser or viewer.
        #[arg(long)]
        role: String,
        /// The server's address as staff reach it, to print the whole link (default:
        /// the link's path only).
        #[arg(long)]
        base_url: Option<String>,
    },
    List,
    /// Disable an account: its sessions end at once.
    Disable {
        email: String,
    },
    /// A new one-time link to set a forgotten password.
    Link {
        email: String,
        #[arg(long)]
        base_url: Option<String>,
    },
}

/// Who a request is about: every participant record whose name is the same (case,
/// accents and punctuation aside), or whose email or phone is the same.
#[derive(clap::Args)]
struct PersonArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
}

impl PersonArgs {
    fn person(self) -> preau_server::admin::Person {
        preau_server::admin::Person {
            name: self.name,
            email: self.email,
            phone: self.phone,
        }
    }
}

#[derive(Subcommand)]
enum PeopleCommand {
    /// Everything the server holds on one person (JSON).
    Export {
        #[command(flatten)]
        person: PersonArgs,
        /// Write to this file (created readable by its owner only) instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Erase one person's name, phone and email everywhere (every laptop at its next
    /// sync). Without --yes, lists what would be erased.
    Erase {
        #[command(flatten)]
        person: PersonArgs,
        #[arg(long)]
        yes: bool,
    },
    /// Anonymise the participants of visits older than a period (3y, 18m, 400d). Without
    /// --yes, counts them.
    Anonymise {
        #[arg(long)]
        older_than: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    List,
    Revoke {
        id: Uuid,
    },
    /// Undo what a device changed since an instant (every laptop gets it back at its
    /// next sync). Revoke the device first.
    Revert {
        id: Uuid,
        /// 2026-12-07, « 2026-12-07 09:30 » (UTC) or RFC 3339.
        #[arg(long)]
        since: String,
    },
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Remove a record for good (one that no laptop can apply).
    Purge { table: String, id: String },
}

#[derive(Subcommand)]
enum VisitsCommand {
    /// Give a visit, and everything under it, to another adviser.
    HandOver {
        visit: Uuid,
        #[arg(long)]
        to: String,
    },
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
        // Colours only on a terminal: the journal and log files get plain lines to grep.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("démarrage du moteur asynchrone")?;
    runtime.block_on(async_main(cli))
}

async fn async_main(cli: Cli) -> anyhow::Result<()> {
    let file = load_config(cli.config.as_deref())?;
    let settings = settings(cli.data_dir, cli.database_url, &file);
    refuse_root_on_foreign_data(&settings)?;
    let storage = preau_server::storage::open(settings.database_url.as_deref(), &settings.data_dir)
        .await
        .context("ouverture de la base de données")?;
    match cli.command {
        Command::Serve {
            bind,
            tls_cert,
            tls_key,
        } => {
            let options = server_options(&file, tls_cert, tls_key)?;
            // A certificate that does not load stops the start, with its reason.
            if let Some(files) = &options.tls {
                preau_server::tls::acceptor(files).context("certificat TLS")?;
            }
            let bind = match bind.or(file.bind) {
                Some(bind) => bind,
                None => DEFAULT_BIND.parse()?,
            };
            if let Some(text) = &file.participants_retention {
                let period = retention(text)?;
                tokio::spawn(retention_loop(std::sync::Arc::clone(&storage), period));
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("écoute sur {bind}"))?;
            let addr = listener.local_addr()?;
            let scheme = if options.tls.is_some() {
                "https"
            } else {
                "http"
            };
            tracing::info!(%addr, scheme, limits = ?options.limits, "serving");
            println!("preau-server écoute sur {scheme}://{addr}");
            // Ctrl-C, or SIGTERM from systemd: stop accepting, finish what is in flight.
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .context("attente de SIGTERM")?;
            let shutdown = async move {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                tracing::info!("shutting down");
            };
            preau_server::serve_with(listener, storage, options, shutdown).await?;
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
            let policy = preau_server::auth::AuthPolicy {
                token_idle: chrono::Duration::days(i64::from(token_idle_days(&file)?)),
            };
            let now = chrono::Utc::now();
            for d in devices {
                println!("{}", device_line(&d, &policy, now));
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
        Command::Devices {
            command: DevicesCommand::Revert { id, since },
        } => {
            let since = preau_server::admin::parse_since(&since).with_context(|| {
                format!("date illisible : {since:?} (2026-12-07, « 2026-12-07 09:30 » ou RFC 3339)")
            })?;
            let n = preau_server::admin::revert_device(storage.as_ref(), id, since).await?;
            println!(
                "{n} enregistrement(s) remis dans leur état d'avant le {} (UTC) ; les portables les recevront à leur prochaine synchronisation.",
                since.format("%Y-%m-%d %H:%M")
            );
        }
        Command::Records {
            command: RecordsCommand::Purge { table, id },
        } => {
            if !preau_server::admin::purge_record(storage.as_ref(), &table, &id).await? {
                anyhow::bail!("aucun enregistrement {table} {id}");
            }
            println!("Enregistrement {table} {id} supprimé définitivement.");
        }
        Command::Visits {
            command: VisitsCommand::HandOver { visit, to },
        } => {
            let n = preau_server::admin::hand_over(storage.as_ref(), visit, &to).await?;
            if n == 0 {
                anyhow::bail!("aucune visite {visit}");
            }
            println!("Visite {visit} confiée à {to} ({n} enregistrement(s)).");
        }
        Command::People { command } => people(storage.as_ref(), command).await?,
        Command::Users { command } => users(storage.as_ref(), command).await?,
        Command::Import { command } => {
            let (kind, file) = match command {
                ImportCommand::Catalogue { file } => (ReferenceKind::Catalogue, file),
                ImportCommand::Funding { file } => (ReferenceKind::Funding, file),
                ImportCommand::Schools { file } => (ReferenceKind::Schools, file),
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

/// The one-time link as printed: its path after the server's address, if given.
fn link_text(link: &preau_server::staff::PasswordLink, base_url: Option<&str>) -> String {
    format!(
        "{}{}",
        base_url.unwrap_or("").trim_end_matches('/'),
        link.path()
    )
}

async fn users(storage: &dyn preau_server::Storage, command: UsersCommand) -> anyhow::Result<()> {
    use preau_server::staff;
    match command {
        UsersCommand::Add {
            email,
            name,
            role,
            base_url,
        } => {
            let role: staff::Role = role.parse().with_context(|| {
                format!("rôle inconnu : {role:?} (admin, coordinator, adviser ou viewer)")
            })?;
            let (user, link) = staff::add_user(storage, &email, &name, role)
                .await
                .with_context(|| format!("création du compte {}", email.trim()))?;
            println!(
                "Compte {} ({}) créé. Lien à usage unique pour choisir le mot de passe, valable jusqu'au {} (UTC) :\n{}",
                user.email,
                role.label(),
                link.expires_at.format("%Y-%m-%d %H:%M"),
                link_text(&link, base_url.as_deref())
            );
        }
        UsersCommand::List => {
            let users = staff::list_users(storage).await?;
            if users.is_empty() {
                println!("Aucun compte.");
            }
            for u in users {
                let state = match (u.disabled_at, u.has_password) {
                    (Some(at), _) => format!("désactivé le {}", at.format("%Y-%m-%d")),
                    (None, false) => "mot de passe à choisir".to_string(),
                    (None, true) => "actif".to_string(),
                };
                println!(
                    "{}  {}  {}  {}",
                    printable(&u.email),
                    printable(&u.name),
                    u.role.as_str(),
                    state
                );
            }
        }
        UsersCommand::Disable { email } => {
            if !staff::disable_user(storage, &email, None).await? {
                anyhow::bail!("aucun compte {email}");
            }
            println!("Compte {email} désactivé ; ses sessions sont fermées.");
        }
        UsersCommand::Link { email, base_url } => {
            let link = staff::reset_link(storage, &email)
                .await
                .with_context(|| format!("aucun compte actif {email}"))?;
            println!(
                "Lien à usage unique pour {email}, valable jusqu'au {} (UTC) :\n{}",
                link.expires_at.format("%Y-%m-%d %H:%M"),
                link_text(&link, base_url.as_deref())
            );
        }
    }
    Ok(())
}

fn retention(text: &str) -> anyhow::Result<preau_server::admin::Retention> {
    preau_server::admin::Retention::parse(text).with_context(|| {
        format!("durée illisible : {text:?} (par exemple 3y pour 3 ans, 18m pour 18 mois, 400d pour 400 jours)")
    })
}

/// Runs the retention period at start, then every day, for as long as `serve` runs. In
/// `serve` rather than a cron job or a systemd timer: nothing more to install or to keep
/// in step with the service's configuration, and a server that was off at the planned
/// hour still runs it when it starts. A failed run is logged and tried again the next day.
async fn retention_loop(
    storage: std::sync::Arc<dyn preau_server::Storage>,
    period: preau_server::admin::Retention,
) {
    let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        daily.tick().await;
        let Some(cutoff) = period.cutoff(chrono::Utc::now().date_naive()) else {
            tracing::error!(?period, "retention period out of range");
            return;
        };
        if let Err(e) = preau_server::admin::anonymise_before(storage.as_ref(), cutoff).await {
            tracing::error!(error = %e, "retention run failed");
        }
    }
}

/// A value a laptop sent, fit for the admin's terminal: control characters (escape
/// sequences, tabs that would shift the columns) are shown as `�`.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// One line per participant record, for the admin to check before erasing.
fn describe(p: &preau_server::storage::ParticipantRecord) -> String {
    let text = |f: &str| {
        printable(
            p.fields
                .get(f)
                .and_then(serde_json::Value::as_str)
                .unwrap_or(""),
        )
    };
    format!(
        "{}	{}	{}	{}	{}	visite {} à {} le {}{}",
        printable(&p.record_id),
        text("name"),
        text("role"),
        text("phone"),
        text("email"),
        printable(p.visit_id.as_deref().unwrap_or("?")),
        printable(p.commune_insee.as_deref().unwrap_or("?")),
        printable(p.scheduled_at.as_deref().unwrap_or("?")),
        if p.deleted { " (supprimé)" } else { "" },
    )
}

async fn people(storage: &dyn preau_server::Storage, command: PeopleCommand) -> anyhow::Result<()> {
    use std::io::Write;
    match command {
        PeopleCommand::Export { person, output } => {
            let export = preau_server::admin::export_person(storage, &person.person()).await?;
            let n = export["records"].as_array().map_or(0, Vec::len);
            let mut text = serde_json::to_string_pretty(&export)?;
            text.push('\n');
            match output {
                None => std::io::stdout().write_all(text.as_bytes())?,
                Some(path) => {
                    use std::os::unix::fs::OpenOptionsExt;
                    // Personal data: readable by the admin only.
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .mode(0o600)
                        .open(&path)
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    f.write_all(text.as_bytes())
                        .with_context(|| format!("écriture de {}", path.display()))?;
                    eprintln!("{n} enregistrement(s) exporté(s) dans {}.", path.display());
                }
            }
        }
        PeopleCommand::Erase { person, yes } => {
            let person = person.person();
            // Issued proposals are immutable documents: listed, never rewritten.
            let proposals = preau_server::admin::proposals_naming(storage, &person).await?;
            for p in &proposals {
                println!(
                    "Proposition {} (visite {}) la nomme : conservée (document émis) ; « preau-server records purge proposals {} » la supprimerait partout.",
                    printable(p.number.as_deref().unwrap_or("sans numéro")),
                    printable(p.visit_id.as_deref().unwrap_or("?")),
                    printable(&p.record_id)
                );
            }
            if !yes {
                let found = preau_server::admin::find_person(storage, &person).await?;
                let skip = found.iter().map(|p| p.record_id.as_str()).collect();
                let history = preau_server::admin::history_naming(storage, &person, &skip).await?;
                if !history.is_empty() {
                    println!(
                        "{} ancienne(s) valeur(s) dans l'historique d'enregistrements qui concernent désormais quelqu'un d'autre seraient effacées (ces enregistrements restent).",
                        history.len()
                    );
                }
                if found.is_empty() {
                    println!("Aucun participant ne correspond.");
                    return Ok(());
                }
                for p in &found {
                    println!(
                        "{}\tcorrespond par {}",
                        describe(p),
                        person.matched_on(p).join(", ")
                    );
                }
                println!(
                    "{} enregistrement(s) seraient effacés. Vérifiez la liste (homonymes) puis relancez avec --yes.",
                    found.len()
                );
                return Ok(());
            }
            let erased = preau_server::admin::erase_person(storage, &person).await?;
            if erased.records.is_empty() {
                println!("Aucun participant ne correspond.");
            } else {
                println!(
                    "{} enregistrement(s) trouvé(s), {} effacé(s) : nom remplacé par « {} », téléphone et courriel retirés, historique compris. Les portables les recevront à leur prochaine synchronisation.",
                    erased.records.len(),
                    erased.changed,
                    preau_server::merge::ERASED_NAME
                );
            }
            if erased.history > 0 {
                println!(
                    "{} ancienne(s) valeur(s) effacée(s) de l'historique d'enregistrements qui concernent désormais quelqu'un d'autre.",
                    erased.history
                );
            }
        }
        PeopleCommand::Anonymise { older_than, yes } => {
            let period = retention(&older_than)?;
            let cutoff = period
                .cutoff(chrono::Utc::now().date_naive())
                .context("durée trop longue")?;
            let day = cutoff.format("%Y-%m-%d");
            if !yes {
                let found = preau_server::admin::past_retention(storage, cutoff).await?;
                println!(
                    "{} participant(s) de visites antérieures au {day} seraient anonymisé(s). Relancez avec --yes pour le faire.",
                    found.len()
                );
                return Ok(());
            }
            let n = preau_server::admin::anonymise_before(storage, cutoff).await?;
            println!(
                "{n} participant(s) de visites antérieures au {day} anonymisé(s) ; les portables les recevront à leur prochaine synchronisation."
            );
        }
    }
    Ok(())
}

/// One line of `devices list`. Names and versions come from laptops: escaped, so that
/// no terminal sequence reaches the admin's screen.
fn device_line(
    d: &preau_server::storage::Device,
    policy: &preau_server::auth::AuthPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    use preau_server::text::printable;
    let state = match d.revoked_at {
        Some(t) => format!("révoqué le {}", t.format("%Y-%m-%d %H:%M")),
        None if policy.expired(d, now) => "jeton expiré (à réenrôler)".into(),
        None => "actif".into(),
    };
    let seen = match d.last_seen_at {
        Some(t) => format!(
            "vu le {} depuis {} ({})",
            t.format("%Y-%m-%d %H:%M"),
            printable(d.last_ip.as_deref().unwrap_or("?"), 64),
            printable(d.app_version.as_deref().unwrap_or("version inconnue"), 64)
        ),
        None => "jamais vu".into(),
    };
    format!(
        "{}\t{}\t{}\tenrôlé le {}\t{seen}\t{state}",
        d.id,
        printable(&d.adviser, 100),
        printable(&d.name, 100),
        d.enrolled_at.format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_keys_and_their_defaults() {
        let file = parse_config(
            "max_connections = 64\nheader_timeout_secs = 5\nrequest_timeout_secs = 30\n\
             token_idle_days = 30\ntrusted_proxies = [\"127.0.0.1\"]\n\
             changes_per_hour = 1000\n",
        )
        .expect("valid config");
        assert_eq!(
            server_options(&file, None, None).expect("options").quota,
            preau_server::quota::PerHour(1000)
        );
        let o = server_options(&file, None, None).expect("options");
        assert_eq!(o.limits.max_connections, 64);
        assert_eq!(o.limits.header_timeout, Duration::from_secs(5));
        assert_eq!(o.limits.request_timeout, Duration::from_secs(30));
        let d = preau_server::listener::Limits::default();
        assert_eq!(o.limits.body_timeout, d.body_timeout);
        assert_eq!(o.limits.idle_timeout, d.idle_timeout);
        assert_eq!(o.auth.token_idle, chrono::Duration::days(30));
        assert_eq!(
            o.trusted_proxies,
            vec!["127.0.0.1".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(o.tls, None);
        let none = server_options(&Config::default(), None, None).expect("defaults");
        assert_eq!(none, preau_server::ServerOptions::default());
        for bad in [
            "max_connections = 0",
            "header_timeout_secs = 0",
            "token_idle_days = 0",
            "changes_per_hour = 0",
            "tls_cert = \"/etc/c.pem\"",
        ] {
            let file = parse_config(bad).expect("parses");
            assert!(server_options(&file, None, None).is_err(), "{bad}");
        }
        let cli = server_options(
            &Config::default(),
            Some("c.pem".into()),
            Some("k.pem".into()),
        )
        .expect("tls");
        assert_eq!(cli.tls.map(|t| t.key), Some(PathBuf::from("k.pem")));
    }

    #[test]
    fn device_lines_escape_what_laptops_sent() {
        let now = chrono::Utc::now();
        let d = preau_server::storage::Device {
            id: Uuid::nil(),
            adviser: "Anne".into(),
            name: "pc\u{1b}]0;pwned\u{7}".into(),
            enrolled_at: now,
            revoked_at: None,
            last_seen_at: Some(now),
            last_ip: Some("127.0.0.1".into()),
            app_version: Some("preau/0.1.0".into()),
            pending_changes: None,
            pending_at: None,
        };
        let line = device_line(&d, &preau_server::auth::AuthPolicy::default(), now);
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "{line:?}"
        );
        assert!(line.contains("pc\\u{1b}]0;pwned\\u{7}"), "{line}");
        assert!(
            line.contains("depuis 127.0.0.1 (preau/0.1.0)") && line.ends_with("actif"),
            "{line}"
        );
    }

    #[test]
    fn config_file_keys_and_command_line_precedence() {
        let file = parse_config(
            "# commentaire\nbind = \"0.0.0.0:8443\"\ndata_dir = \"/var/lib/preau-server\"\n",
        )
        .expect("valid config");
        assert_eq!(file.bind, Some("0.0.0.0:8443".parse().expect("addr")));
        assert_eq!(
            settings(None, None, &file),
            Settings {
                data_dir: "/var/lib/preau-server".into(),
                database_url: None
            }
        );
        let cli = settings(Some("/tmp/x".into()), Some("postgres://h/db".into()), &file);
        assert_eq!(cli.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(cli.database_url.as_deref(), Some("postgres://h/db"));
        let none = settings(None, None, &Config::default());
        assert_eq!(none.data_dir, PathBuf::from("."));
    }

    #[test]
    fn retention_is_a_config_key_checked_by_serve() {
        let file = parse_config("participants_retention = \"3y\"\n").expect("valid config");
        assert_eq!(file.participants_retention.as_deref(), Some("3y"));
        assert!(retention("3y").is_ok());
        let err = retention("trois ans").expect_err("unreadable");
        assert!(format!("{err:#}").contains("3y"), "{err:#}");
        // The packaged file documents the key, commented out: both forms are read.
        let packaged = include_str!("../../../packaging/server/preau-server.toml");
        assert_eq!(
            parse_config(packaged)
                .expect("packaged config")
                .participants_retention,
            None
        );
        let on = packaged.replace("# participants_retention", "participants_retention");
        let on = parse_config(&on).expect("uncommented");
        assert!(retention(on.participants_retention.as_deref().unwrap_or("")).is_ok());
    }

    #[test]
    fn values_from_laptops_reach_the_terminal_without_control_characters() {
        assert_eq!(
            printable("Jo\u{1b}[31mël\tX\u{9b}"),
            "Jo\u{fffd}[31mël\u{fffd}X\u{fffd}"
        );
    }

    #[test]
    fn bad_config_is_refused_with_its_reason() {
        let typo = parse_config("data-dir = \"/srv\"\n").expect_err("unknown key");
        assert!(typo.to_string().contains("data-dir"), "{typo}");
        let addr = parse_config("bind = \"localhost\"\n").expect_err("bad address");
        assert!(!addr.to_string().is_empty());
    }

    #[test]
    fn explicit_config_must_exist_the_default_need_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("absent.toml");
        let err = load_config(Some(&missing)).expect_err("missing --config");
        assert!(format!("{err:#}").contains("absent.toml"), "{err:#}");
        let file = dir.path().join("preau-server.toml");
        std::fs::write(&file, "database_url = \"sqlite:///srv/p.db\"\n").expect("write");
        let c = load_config(Some(&file)).expect("config");
        assert_eq!(c.database_url.as_deref(), Some("sqlite:///srv/p.db"));
    }
}
