//! Test support: storage backends (SQLite in a temp dir, a throwaway PostgreSQL cluster),
//! a real server on 127.0.0.1 port 0 in its own runtime (so it can be killed), laptops.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use preau_core::Store;
use preau_server::Storage;

pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(PgCluster),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    pub fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The database URL of database `name` (created on first use for PostgreSQL).
    pub fn url(&self, name: &str) -> String {
        match self {
            Backend::Sqlite(dir) => format!(
                "sqlite://{}",
                dir.path().join(format!("{name}.db")).display()
            ),
            Backend::Postgres(pg) => {
                pg.create_database(name);
                pg.url(name)
            }
        }
    }

    /// Runs one SQL statement on the server's database `name` (tests that age a token).
    pub fn execute(&self, name: &str, sql: &str) {
        match self {
            Backend::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join(format!("{name}.db")))
                    .expect("open server db");
                c.busy_timeout(Duration::from_secs(10))
                    .expect("busy timeout");
                c.execute_batch(sql).expect("sql");
            }
            Backend::Postgres(pg) => {
                // The test reads the database itself, over loopback, without TLS.
                let url = pg.url_with(name, "sslmode=disable");
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("rt");
                rt.block_on(async {
                    let client = preau_server::pg_tls::connect(&url).await.expect("connect");
                    client.batch_execute(sql).await.expect("sql");
                });
            }
        }
    }

    /// How many distinct changes the server applied (each change id counted once).
    pub fn changes_applied(&self, name: &str) -> i64 {
        match self {
            Backend::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join(format!("{name}.db")))
                    .expect("open server db");
                let seen: i64 = c
                    .query_row("SELECT count(*) FROM changes_seen", [], |r| r.get(0))
                    .expect("count");
                let seq: i64 = c
                    .query_row("SELECT value FROM counters WHERE name = 'seq'", [], |r| {
                        r.get(0)
                    })
                    .expect("seq");
                assert_eq!(seen, seq, "every sequence number belongs to one change");
                seen
            }
            Backend::Postgres(pg) => {
                // The test reads the database itself, over loopback, without TLS.
                let url = pg.url_with(name, "sslmode=disable");
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("rt");
                rt.block_on(async {
                    let client = preau_server::pg_tls::connect(&url).await.expect("connect");
                    let seen: i64 = client
                        .query_one("SELECT count(*) FROM changes_seen", &[])
                        .await
                        .expect("count")
                        .get(0);
                    let seq: i64 = client
                        .query_one("SELECT value FROM counters WHERE name = 'seq'", &[])
                        .await
                        .expect("seq")
                        .get(0);
                    assert_eq!(seen, seq, "every sequence number belongs to one change");
                    seen
                })
            }
        }
    }
}

/// A throwaway PostgreSQL cluster in a temp dir, stopped and removed when dropped.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_root: bool,
    /// The CA that signed the cluster's certificate (it serves TLS, issue 12).
    pub ca: TestCa,
}

/// Where `initdb` and `pg_ctl` are: `PREAU_PG_BIN` if set, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu keep them there, off the PATH),
/// else a directory of the PATH holding both.
fn pg_bin() -> Option<PathBuf> {
    let has_tools = |p: &Path| p.join("initdb").is_file() && p.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PREAU_PG_BIN") {
        let dir = PathBuf::from(dir);
        return has_tools(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            // "16", "9.6": compared as numbers, so 16 is newer than 9.6.
            let major = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).find(|p| has_tools(p))
}

/// `PREAU_REQUIRE_POSTGRES=1` (set by `scripts/test.sh`): a PostgreSQL that cannot be
/// found or started fails the PostgreSQL tests instead of skipping them.
fn postgres_required() -> bool {
    std::env::var("PREAU_REQUIRE_POSTGRES").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl PgCluster {
    /// Starts a cluster, or `None` (with a message) when PostgreSQL is not installed and
    /// not required (`PREAU_REQUIRE_POSTGRES`); a cluster that cannot start always fails.
    pub fn start() -> Option<PgCluster> {
        let Some(bin) = pg_bin() else {
            let why = "PostgreSQL binaries (initdb, pg_ctl) not found in $PREAU_PG_BIN, \
                       /usr/lib/postgresql/*/bin or the PATH (apt-get install postgresql)";
            assert!(
                !postgres_required(),
                "{why}, and PREAU_REQUIRE_POSTGRES is set: the PostgreSQL suite must run"
            );
            // Past the test harness's capture (`eprintln!` is only shown for a failure), so
            // a skip is never silent.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {why}; the PostgreSQL variant of the suite did not run"
            );
            return None;
        };
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let dir = std::env::temp_dir().join(format!("preau-pg-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("pg dir");
        let cluster = PgCluster {
            dir: dir.clone(),
            bin,
            port: free_port(),
            as_root,
            ca: TestCa::new("Préau test CA (PostgreSQL)"),
        };
        if as_root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown of the cluster dir to postgres");
        }
        let data = dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "preau",
                "--no-sync",
            ],
        );
        // TLS on (issue 12): every PostgreSQL test connects with sslmode=require.
        let (cert, key, _) = cluster.ca.leaf();
        std::fs::write(data.join("server.crt"), cert).expect("server.crt");
        std::fs::write(data.join("server.key"), key).expect("server.key");
        std::fs::write(dir.join("ca.pem"), cluster.ca.pem()).expect("ca.pem");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                data.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .expect("key mode");
        }
        if as_root {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(data.join("server.crt"))
                .arg(data.join("server.key"))
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown of the cluster's certificate to postgres");
        }
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on \
             -c ssl_cert_file=server.crt -c ssl_key_file=server.key",
            cluster.port,
            dir.display()
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &opts,
                "-l",
                &dir.join("log").display().to_string(),
                "-w",
                "start",
            ],
        );
        Some(cluster)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let status = if self.as_root {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
        } else {
            Command::new(&exe)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
        }
        .expect("run postgres tool");
        assert!(status.success(), "{tool} {args:?} failed");
    }

    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://preau@127.0.0.1:{}/{db}?sslmode=require",
            self.port
        )
    }

    /// The URL with other TLS parameters than `sslmode=require`.
    pub fn url_with(&self, db: &str, tls: &str) -> String {
        format!("postgres://preau@127.0.0.1:{}/{db}?{tls}", self.port)
    }

    /// The PEM file of the CA that signed the cluster's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn create_database(&self, name: &str) {
        let url = self.url("postgres");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async {
            let client = preau_server::pg_tls::connect(&url)
                .await
                .expect("connect to postgres");
            let exists = client
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .expect("query")
                .is_some();
            if !exists {
                client
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create database");
            }
        });
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let exe = self.bin.join("pg_ctl");
        let _ = if self.as_root {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(["-D", &data, "-m", "immediate", "stop"])
                .stdout(std::process::Stdio::null())
                .status()
        } else {
            Command::new(&exe)
                .args(["-D", &data, "-m", "immediate", "stop"])
                .stdout(std::process::Stdio::null())
                .status()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A real server on 127.0.0.1 (port 0) in its own runtime: `kill` stops it at once,
/// connections and all.
pub struct TestServer {
    pub addr: SocketAddr,
    pub storage: Arc<dyn Storage>,
    rt: Option<tokio::runtime::Runtime>,
    tls: bool,
}

impl TestServer {
    pub fn start(database_url: &str) -> TestServer {
        TestServer::start_with(database_url, preau_server::ServerOptions::default())
    }

    /// A server with other transport options (short timeouts, TLS, trusted proxies).
    pub fn start_with(database_url: &str, options: preau_server::ServerOptions) -> TestServer {
        logs::install();
        let tls = options.tls.is_some();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        let url = database_url.to_string();
        let (addr, storage) = rt.block_on(async move {
            let storage = preau_server::storage::open(Some(&url), Path::new("."))
                .await
                .expect("open storage");
            let (addr, _handle) = preau_server::spawn_with(
                "127.0.0.1:0".parse().expect("addr"),
                Arc::clone(&storage),
                options,
            )
            .await
            .expect("spawn server");
            (addr, storage)
        });
        TestServer {
            addr,
            storage,
            rt: Some(rt),
            tls,
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Runs an admin action on the server's storage.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.as_ref().expect("running server").block_on(f)
    }

    pub fn enrollment_code(&self, adviser: &str) -> String {
        let storage = Arc::clone(&self.storage);
        self.block_on(async move {
            preau_server::admin::create_enrollment(storage.as_ref(), adviser)
                .await
                .expect("enrollment code")
                .0
        })
    }

    /// Stops the server abruptly: in-flight requests are cut.
    pub fn kill(mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A laptop: a store in its own data dir.
pub struct Laptop {
    pub store: Store,
    _dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

pub fn fast_retries() -> preau_sync::SyncOptions {
    preau_sync::SyncOptions {
        max_attempts: 20,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(100),
        request_timeout: Duration::from_secs(20),
        ..preau_sync::SyncOptions::default()
    }
}

impl Laptop {
    pub fn new() -> Laptop {
        let dir = tempfile::tempdir().expect("laptop dir");
        let store = Store::open_in(dir.path()).expect("laptop store");
        Laptop {
            store,
            _dir: dir,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("laptop runtime"),
        }
    }

    pub fn enrolled(server_url: &str, code: &str) -> Laptop {
        let mut l = Laptop::new();
        l.enroll(server_url, code);
        l
    }

    pub fn enroll(&mut self, server_url: &str, code: &str) {
        self.rt
            .block_on(preau_sync::enroll(
                &mut self.store,
                server_url,
                code,
                "portable de test",
                fast_retries(),
            ))
            .expect("enroll");
    }

    pub fn try_sync(
        &mut self,
        opts: preau_sync::SyncOptions,
    ) -> Result<preau_sync::SyncReport, preau_sync::Error> {
        self.rt
            .block_on(preau_sync::sync(&mut self.store, opts, &mut |_| {}))
    }

    pub fn sync(&mut self) -> preau_sync::SyncReport {
        self.try_sync(fast_retries()).expect("sync")
    }

    pub fn token(&self) -> String {
        self.store
            .sync_settings()
            .expect("state")
            .token
            .expect("enrolled")
    }

    /// Why staged records wait, for failure messages.
    pub fn inbox_errors(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.store.path()).expect("open laptop db");
        let mut stmt = conn
            .prepare("SELECT tbl, record_id, coalesce(last_error, '') FROM sync_inbox LIMIT 5")
            .expect("prepare");
        stmt.query_map([], |r| {
            Ok(format!(
                "{} {} {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }

    /// Every synced table's rows (bookkeeping times aside), for comparing two laptops.
    pub fn dump(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.store.path()).expect("open laptop db");
        let mut out = Vec::new();
        for t in preau_core::sync::SYNC_TABLES {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT * FROM {} ORDER BY {}",
                    t.name,
                    t.key.join(", ")
                ))
                .expect("prepare");
            let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
            let mut rows = stmt.query([]).expect("query");
            while let Some(row) = rows.next().expect("row") {
                let mut line = format!("{}:", t.name);
                for (i, n) in names.iter().enumerate() {
                    if n == "created_at" || n == "updated_at" {
                        continue;
                    }
                    let v: rusqlite::types::Value = row.get(i).expect("value");
                    line.push_str(&format!(" {n}={v:?}"));
                }
                out.push(line);
            }
        }
        out
    }
}

/// Where `needle` (lowercase ASCII) occurs, case aside, in any value of any table of an
/// SQLite database: `table.column` per hit.
pub fn scan_sqlite(path: &Path, needle: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("open db");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let mut hits = Vec::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\""))
            .expect("prepare");
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            for (i, n) in names.iter().enumerate() {
                let text = match row.get_ref(i).expect("value") {
                    rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                        String::from_utf8_lossy(b).to_lowercase()
                    }
                    _ => continue,
                };
                if text.contains(needle) {
                    hits.push(format!("{t}.{n}"));
                }
            }
        }
    }
    hits
}

/// Whether `needle` (lowercase ASCII) is in a file's bytes, case aside.
pub fn file_contains(path: &Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let needle = needle.as_bytes();
    bytes
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

impl Backend {
    /// Where `needle` (lowercase ASCII) is found in database `name`: every text value of
    /// every table, and for SQLite the bytes of the database file and its WAL.
    pub fn scan(&self, name: &str, needle: &str) -> Vec<String> {
        match self {
            Backend::Sqlite(dir) => {
                let db = dir.path().join(format!("{name}.db"));
                let mut hits = Vec::new();
                for file in [db.clone(), dir.path().join(format!("{name}.db-wal"))] {
                    if file_contains(&file, needle) {
                        hits.push(format!("bytes of {}", file.display()));
                    }
                }
                hits.extend(scan_sqlite(&db, needle));
                hits
            }
            Backend::Postgres(pg) => {
                // The test reads the database itself, over loopback, without TLS.
                let url = pg.url_with(name, "sslmode=disable");
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("rt");
                rt.block_on(async {
                    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .expect("connect");
                    tokio::spawn(conn);
                    let columns = client
                        .query(
                            "SELECT table_name::text, column_name::text FROM information_schema.columns
                             WHERE table_schema = 'public'",
                            &[],
                        )
                        .await
                        .expect("columns");
                    let mut hits = Vec::new();
                    for c in columns {
                        let (t, n): (String, String) = (c.get(0), c.get(1));
                        let found: i64 = client
                            .query_one(
                                &format!(
                                    "SELECT count(*) FROM \"{t}\"
                                     WHERE position($1 IN lower(\"{n}\"::text)) > 0"
                                ),
                                &[&needle],
                            )
                            .await
                            .expect("scan")
                            .get(0);
                        if found > 0 {
                            hits.push(format!("{t}.{n}"));
                        }
                    }
                    hits
                })
            }
        }
    }
}

impl Laptop {
    /// Where `needle` (lowercase ASCII) is found in any table of the laptop's store.
    pub fn scan(&self, needle: &str) -> Vec<String> {
        scan_sqlite(self.store.path(), needle)
    }
}

/// A certificate authority made for a test (rcgen), and the server certificates it signs.
pub struct TestCa {
    // Boxed: a backend holding a cluster stays small (clippy's large_enum_variant).
    issuer: Box<rcgen::CertifiedIssuer<'static, rcgen::KeyPair>>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().expect("CA key");
        TestCa {
            issuer: Box::new(rcgen::CertifiedIssuer::self_signed(params, key).expect("CA")),
        }
    }

    pub fn der(&self) -> rustls::pki_types::CertificateDer<'static> {
        self.issuer.der().clone()
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A TLS client configuration that trusts this CA only.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der()).expect("root");
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
    }

    /// A server certificate for `localhost` and 127.0.0.1: (certificate PEM, key PEM,
    /// certificate DER).
    pub fn leaf(&self) -> (String, String, Vec<u8>) {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "preau-server de test");
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

/// The server's log lines, captured for the tests that check what the syndicate's IT
/// would read (every test's server logs here; each test looks for its own device).
pub mod logs {
    use std::sync::{Arc, Mutex, OnceLock};

    static LINES: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut lines) = self.0.lock() {
                lines.extend_from_slice(buf);
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    pub fn install() {
        let buf = LINES.get_or_init(|| Arc::new(Mutex::new(Vec::new())));
        let buf = Arc::clone(buf);
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("preau_server=info"))
            .with_ansi(false)
            .with_writer(move || Writer(Arc::clone(&buf)))
            .try_init();
    }

    /// The captured lines that contain `needle`.
    pub fn lines_with(needle: &str) -> Vec<String> {
        let Some(buf) = LINES.get() else {
            return Vec::new();
        };
        let text = buf
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        text.lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }
}
