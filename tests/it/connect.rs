//! Connecting as libpq would (`pgstage::db::connect`), against real servers: two sandboxes of
//! this module's own, both asking for a password over TCP (a sandbox always does), one
//! without TLS, one serving TLS with a certificate for "localhost" from a CA made here. The
//! superuser's password is set to [`PW`] on both, over the unix socket. The environment is
//! injected, never read from the process, so PG* variables on the machine change nothing.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pgstage::db;
use pgstage::db::connect::{self, ConnectError, ConnectOptions, Session};
use pgstage::sandbox::{Sandbox, SandboxOptions, TlsFiles};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::sync::OnceCell;

/// The superuser's password on the password server; and a wrong one.
const PW: &str = "s3cr3t-Pa55";
pub(crate) const WRONG_PW: &str = "wr0ng-Pa55";

/// A CA made here, the server certificate it signed (for "localhost" only), and an
/// unrelated CA.
struct Certs {
    ca_pem: String,
    other_ca_pem: String,
    server: TlsFiles,
}

fn make_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let (ca_pem, ca) = make_ca("pgstage test CA");
        let (other_ca_pem, _) = make_ca("unrelated test CA");
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &ca).unwrap();
        Certs { ca_pem, other_ca_pem, server: TlsFiles { cert_pem: cert.pem(), key_pem: key.serialize_pem() } }
    })
}

async fn start(options: SandboxOptions) -> Sandbox {
    tokio::task::spawn_blocking(move || Sandbox::start(&options)).await.unwrap().unwrap_or_else(|e| panic!("{e}"))
}

/// A TCP sandbox whose superuser's password is [`PW`] (set over the unix socket, which needs
/// none: only its owner can enter the socket's directory).
async fn with_known_password(options: SandboxOptions) -> Sandbox {
    let sandbox = start(options).await;
    let admin = db::connect_config(&sandbox.config("postgres")).await.unwrap();
    admin.batch_execute(&format!("ALTER ROLE postgres PASSWORD {}", db::quote_literal(PW))).await.unwrap();
    sandbox
}

/// TCP needs a password (scram-sha-256); the superuser's is [`PW`]. No TLS.
pub(crate) async fn password_server() -> &'static Sandbox {
    static SERVER: OnceCell<Sandbox> = OnceCell::const_new();
    SERVER.get_or_init(|| with_known_password(SandboxOptions { tcp: true, ..Default::default() })).await
}

/// TLS with [`Certs::server`]; the superuser's password is [`PW`].
async fn tls_server() -> &'static Sandbox {
    static SERVER: OnceCell<Sandbox> = OnceCell::const_new();
    SERVER
        .get_or_init(|| {
            with_known_password(SandboxOptions { tcp: true, tls: Some(certs().server.clone()), ..Default::default() })
        })
        .await
}

/// Options with exactly these environment variables (no HOME: no ~/.pgpass, no ~/.postgresql).
fn env(vars: &[(&str, &str)]) -> ConnectOptions {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ConnectOptions {
        env: Box::new(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
        os_user: "pgstage-test-nobody".into(),
        default_socket_dir: None,
        from_fields: false,
    }
}

fn no_env() -> ConnectOptions {
    env(&[])
}

/// A file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str, mode: u32) -> Self {
        use std::os::unix::fs::PermissionsExt;
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "pgstage-connect-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        TempFile(path)
    }

    fn shown(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Neither the error's message nor its Debug form shows a password.
fn assert_hidden(err: &ConnectError) {
    for shown in [format!("{err}"), format!("{err:?}")] {
        assert!(!shown.contains(PW), "the password is shown: {shown}");
        assert!(!shown.contains(WRONG_PW), "the password is shown: {shown}");
    }
}

async fn connect_err(input: &str, options: &ConnectOptions) -> ConnectError {
    match connect::connect(input, options).await {
        Ok(session) => panic!("connected to {} although it should fail ({input})", session.target),
        Err(e) => {
            assert_hidden(&e);
            e
        }
    }
}

async fn connect_ok(input: &str, options: &ConnectOptions) -> Session {
    let session = connect::connect(input, options).await.unwrap_or_else(|e| panic!("{e}"));
    let shown = format!("{session:?}");
    assert!(!shown.contains(PW), "{shown}");
    session
}

async fn scalar<T: for<'a> tokio_postgres::types::FromSql<'a>>(session: &Session, sql: &str) -> T {
    session.client.query_one(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {}", db::describe(&e))).get(0)
}

/// What the server says about this session's encryption.
async fn server_sees_ssl(session: &Session) -> bool {
    scalar(session, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn connects_by_url_and_by_keywords_as_pgstage() {
    let port = password_server().await.port();
    let by_url = connect_ok(&format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres"), &no_env()).await;
    let by_keywords =
        connect_ok(&format!("host=127.0.0.1 port={port} user=postgres password={PW} dbname=postgres"), &no_env()).await;
    for session in [&by_url, &by_keywords] {
        assert_eq!(session.target, format!("postgres@127.0.0.1:{port}/postgres"));
        assert!(!session.tls, "the server has no TLS");
        assert!(!session.is_closed());
        assert!(session.server_version.chars().next().is_some_and(|c| c.is_ascii_digit()), "{}", session.server_version);
        let name: String = scalar(session, "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()").await;
        assert_eq!(name, "pgstage");
        let version: String = scalar(session, "SHOW server_version").await;
        assert_eq!(version, session.server_version);
    }
    // An explicit application_name wins.
    let named =
        connect_ok(&format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres?application_name=rehearsal"), &no_env()).await;
    let name: String = scalar(&named, "SHOW application_name").await;
    assert_eq!(name, "rehearsal");
}

#[tokio::test]
async fn password_from_pgpassword() {
    let port = password_server().await.port();
    let input = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres");
    let session = connect_ok(&input, &env(&[("PGPASSWORD", PW)])).await;
    let user: String = scalar(&session, "SELECT current_user").await;
    assert_eq!(user, "postgres");

    // A wrong one is reported as coming from PGPASSWORD.
    let err = connect_err(&input, &env(&[("PGPASSWORD", WRONG_PW)])).await;
    assert!(matches!(&err, ConnectError::WrongPassword { password_from, .. } if password_from == "PGPASSWORD"), "{err:?}");
}

#[tokio::test]
async fn password_from_the_password_file_and_insecure_files_are_ignored() {
    let port = password_server().await.port();
    let input = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres");
    let line = format!("# pgstage test\n127.0.0.1:{port}:postgres:postgres:{PW}\n");

    let good = TempFile::new("pgpass", &line, 0o600);
    let session = connect_ok(&input, &env(&[("PGPASSFILE", &good.shown())])).await;
    assert!(!session.is_closed());
    // passfile= in the connection string works the same.
    connect_ok(&format!("{input} passfile={}", good.shown()), &no_env()).await;

    let loose = TempFile::new("pgpass-group-readable", &line, 0o640);
    let err = connect_err(&input, &env(&[("PGPASSFILE", &loose.shown())])).await;
    let ConnectError::PasswordRequired { user, looked, .. } = &err else { panic!("{err:?}") };
    assert_eq!(user, "postgres");
    assert!(looked.contains(&loose.shown()) && looked.contains("ignored") && looked.contains("chmod 0600"), "{looked}");
    assert!(err.to_string().contains(&format!("postgres@127.0.0.1:{port}/postgres")), "{err}");

    // No line for this port: says where it looked.
    let other = TempFile::new("pgpass-other", &format!("127.0.0.1:1:postgres:postgres:{PW}\n"), 0o600);
    let err = connect_err(&input, &env(&[("PGPASSFILE", &other.shown())])).await;
    assert!(
        matches!(&err, ConnectError::PasswordRequired { looked, .. }
        if looked.contains("PGPASSWORD") && looked.contains(&other.shown()) && looked.contains("no line")),
        "{err}"
    );

    // Nothing at all.
    let err = connect_err(&input, &no_env()).await;
    assert!(
        matches!(&err, ConnectError::PasswordRequired { looked, .. } if looked.contains("neither PGPASSFILE nor HOME")),
        "{err}"
    );
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let port = free_port();
    let err = connect_err(&format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres"), &no_env()).await;
    let ConnectError::Unreachable { target, reason } = &err else { panic!("{err:?}") };
    assert_eq!(target, &format!("postgres@127.0.0.1:{port}/postgres"));
    assert!(reason.contains("connection refused") && reason.contains(&port.to_string()), "{reason}");
}

#[tokio::test]
async fn wrong_password() {
    let port = password_server().await.port();
    let err = connect_err(&format!("postgres://postgres:{WRONG_PW}@127.0.0.1:{port}/postgres"), &no_env()).await;
    let ConnectError::WrongPassword { user, password_from, .. } = &err else { panic!("{err:?}") };
    assert_eq!((user.as_str(), password_from.as_str()), ("postgres", "the connection string"));
    assert!(err.to_string().starts_with("password authentication failed for user \"postgres\""), "{err}");

    // The same typed in the window's Password field: the message names the field.
    let fields = format!("host=127.0.0.1 port={port} dbname=postgres user=postgres password={WRONG_PW}");
    let err = connect_err(&fields, &ConnectOptions { from_fields: true, ..no_env() }).await;
    assert!(err.to_string().contains("(the password came from the Password field;"), "{err}");
}

#[tokio::test]
async fn missing_database() {
    let port = password_server().await.port();
    let err = connect_err(&format!("host=127.0.0.1 port={port} user=postgres password={PW} dbname=no_such_db"), &no_env()).await;
    assert!(matches!(&err, ConnectError::DatabaseMissing { dbname, .. } if dbname == "no_such_db"), "{err:?}");
    assert_eq!(err.to_string(), format!("database \"no_such_db\" does not exist on postgres@127.0.0.1:{port}/no_such_db"));
}

#[tokio::test]
async fn missing_role() {
    // Where the server trusts the connection (a sandbox's unix socket) it says the role does
    // not exist ...
    let sandbox = tls_server().await;
    let input = format!("host={} port={} user=no_such_role dbname=postgres", sandbox.socket_dir().display(), sandbox.port());
    let err = connect_err(&input, &no_env()).await;
    assert!(matches!(&err, ConnectError::RoleMissing { user, .. } if user == "no_such_role"), "{err:?}");
    // ... with it, PostgreSQL does not tell (so as not to reveal which roles exist).
    let port = password_server().await.port();
    let err =
        connect_err(&format!("host=127.0.0.1 port={port} user=no_such_role password={PW} dbname=postgres"), &no_env()).await;
    assert!(matches!(&err, ConnectError::WrongPassword { user, .. } if user == "no_such_role"), "{err:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new(); // accepted, never answered
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let input = format!("host=127.0.0.1 port={port} user=postgres password={PW} connect_timeout=1");
    let err = tokio::time::timeout(Duration::from_secs(10), connect_err(&input, &no_env())).await.expect("gave up within 10 s");
    // libpq's minimum connect_timeout is 2 s.
    assert!(matches!(err, ConnectError::Timeout { seconds: 2, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    holder.abort();
}

#[tokio::test]
async fn require_against_a_server_without_ssl() {
    let port = password_server().await.port();
    let err = connect_err(&format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres?sslmode=require"), &no_env()).await;
    assert!(matches!(&err, ConnectError::Tls { reason, .. } if reason.contains("does not support SSL")), "{err:?}");
    // prefer (the default) falls back to a plain connection.
    let session = connect_ok(&format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres?sslmode=prefer"), &no_env()).await;
    assert!(!session.tls);
}

#[tokio::test]
async fn verify_full_with_the_right_ca() {
    let port = tls_server().await.port();
    let ca = TempFile::new("ca.crt", &certs().ca_pem, 0o644);
    let input = format!(
        "host=localhost port={port} user=postgres password={PW} dbname=postgres sslmode=verify-full sslrootcert={}",
        ca.shown()
    );
    let session = connect_ok(&input, &no_env()).await;
    assert!(session.tls);
    assert!(server_sees_ssl(&session).await);
    assert_eq!(session.target, format!("postgres@localhost:{port}/postgres"));
    // PGSSLMODE / PGSSLROOTCERT do the same.
    let input = format!("host=localhost port={port} user=postgres dbname=postgres");
    let session =
        connect_ok(&input, &env(&[("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", &ca.shown()), ("PGPASSWORD", PW)])).await;
    assert!(session.tls && server_sees_ssl(&session).await);
}

#[tokio::test]
async fn verify_full_with_the_wrong_ca() {
    let port = tls_server().await.port();
    let other = TempFile::new("other-ca.crt", &certs().other_ca_pem, 0o644);
    let input = format!(
        "host=localhost port={port} user=postgres password={PW} dbname=postgres sslmode=verify-full sslrootcert={}",
        other.shown()
    );
    let err = connect_err(&input, &no_env()).await;
    let ConnectError::Tls { target, reason } = &err else { panic!("{err:?}") };
    assert_eq!(target, &format!("postgres@localhost:{port}/postgres"));
    assert!(reason.contains("not issued by a trusted authority") && reason.contains(&other.shown()), "{reason}");
    // verify-ca checks the issuer too.
    let input = input.replace("verify-full", "verify-ca");
    assert!(matches!(connect_err(&input, &no_env()).await, ConnectError::Tls { .. }));
    // So does require once a root certificate is given (libpq: then it behaves as verify-ca).
    let input = input.replace("verify-ca", "require");
    assert!(matches!(connect_err(&input, &no_env()).await, ConnectError::Tls { .. }));
    // A verifying mode with a root certificate file that does not exist fails before connecting.
    let input =
        format!("host=localhost port={port} user=postgres password={PW} sslmode=verify-ca sslrootcert=/nonexistent/ca.crt");
    let err = connect_err(&input, &no_env()).await;
    assert!(matches!(&err, ConnectError::Tls { reason, .. } if reason.contains("/nonexistent/ca.crt")), "{err:?}");
    // So does one with no root certificate at all: as libpq, the system's roots only when asked
    // for with sslrootcert=system (here they do not know the test CA).
    let input = format!("host=localhost port={port} user=postgres password={PW} sslmode=verify-full");
    let err = connect_err(&input, &env(&[("HOME", "/nonexistent-home")])).await;
    let ConnectError::Tls { reason, .. } = &err else { panic!("{err:?}") };
    assert!(reason.contains("/nonexistent-home/.postgresql/root.crt does not exist"), "{reason}");
    assert!(reason.contains("sslrootcert=system") && !reason.contains(PW), "{reason}");
    // With sslrootcert=system the connection is tried, and fails on the certificate (or, on a
    // machine without a CA bundle, on finding no roots).
    let err = connect_err(&format!("{input} sslrootcert=system"), &no_env()).await;
    assert!(matches!(&err, ConnectError::Tls { reason, .. } if reason.contains("system")), "{err:?}");
}

#[tokio::test]
async fn verify_ca_ignores_the_host_name_and_verify_full_does_not() {
    let port = tls_server().await.port();
    let ca = TempFile::new("ca.crt", &certs().ca_pem, 0o644);
    // The certificate names "localhost" only.
    let input = format!(
        "host=127.0.0.1 port={port} user=postgres password={PW} dbname=postgres sslmode=verify-ca sslrootcert={}",
        ca.shown()
    );
    let session = connect_ok(&input, &no_env()).await;
    assert!(session.tls && server_sees_ssl(&session).await);

    let err = connect_err(&input.replace("verify-ca", "verify-full"), &no_env()).await;
    let ConnectError::Tls { reason, .. } = &err else { panic!("{err:?}") };
    assert!(reason.contains("not valid for host name \"127.0.0.1\" (it names localhost)"), "{reason}");
    assert!(reason.contains("verify-ca"), "{reason}");
}

#[tokio::test]
async fn prefer_require_and_disable_against_a_tls_server() {
    let port = tls_server().await.port();
    let base = format!("host=127.0.0.1 port={port} user=postgres password={PW} dbname=postgres");
    // Without a root certificate, prefer and require encrypt without checking the certificate.
    for mode in ["prefer", "require"] {
        let session = connect_ok(&format!("{base} sslmode={mode}"), &no_env()).await;
        assert!(session.tls, "sslmode={mode}");
        assert!(server_sees_ssl(&session).await, "sslmode={mode}");
    }
    let session = connect_ok(&base, &no_env()).await; // prefer is the default
    assert!(session.tls);
    let session = connect_ok(&format!("{base} sslmode=disable"), &no_env()).await;
    assert!(!session.tls);
    assert!(!server_sees_ssl(&session).await);
    // sslmode=allow tries a plain connection first, which this server accepts.
    let session = connect_ok(&format!("{base} sslmode=allow"), &no_env()).await;
    assert!(!session.tls && !server_sees_ssl(&session).await);
}

#[tokio::test]
async fn unix_sockets_never_use_tls() {
    let sandbox = tls_server().await;
    // libpq ignores sslmode on unix sockets, even verify-full.
    let input = format!(
        "host={} port={} user=postgres dbname=postgres sslmode=verify-full",
        sandbox.socket_dir().display(),
        sandbox.port()
    );
    let session = connect_ok(&input, &no_env()).await;
    assert!(!session.tls);
    assert!(!server_sees_ssl(&session).await);
    assert_eq!(session.target, format!("postgres@{}:{}/postgres", sandbox.socket_dir().display(), sandbox.port()));
    // The default host is the default socket directory.
    let mut options = no_env();
    options.default_socket_dir = Some(sandbox.socket_dir().to_owned());
    let session = connect_ok(&format!("port={} user=postgres", sandbox.port()), &options).await;
    let db: String = scalar(&session, "SELECT current_database()").await;
    assert_eq!(db, "postgres");
}

/// Runs `SELECT pg_sleep(30)` on `session`, cancels it, and checks it ends with 57014 quickly.
async fn cancel_a_sleeping_query(session: &Session) {
    let started = Instant::now();
    let query = session.client.batch_execute("SELECT pg_sleep(30)");
    tokio::pin!(query);
    // The cancel request may arrive before the query starts: repeat until the query ends.
    let result = loop {
        tokio::select! {
            result = &mut query => break result,
            _ = tokio::time::sleep(Duration::from_millis(200)) => session.cancel().await.unwrap_or_else(|e| panic!("{e}")),
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the query was not cancelled within 10 s");
    };
    let err = result.expect_err("the query was cancelled");
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::QUERY_CANCELED), "{}", db::describe(&err));
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    // The session is still usable.
    let one: i32 = scalar(session, "SELECT 1").await;
    assert_eq!(one, 1);
}

#[tokio::test]
async fn cancel_stops_the_running_query() {
    let port = password_server().await.port();
    let plain = connect_ok(&format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres"), &no_env()).await;
    cancel_a_sleeping_query(&plain).await;

    let port = tls_server().await.port();
    let ca = TempFile::new("ca.crt", &certs().ca_pem, 0o644);
    let input = format!(
        "host=localhost port={port} user=postgres password={PW} dbname=postgres sslmode=verify-full sslrootcert={}",
        ca.shown()
    );
    let tls = connect_ok(&input, &no_env()).await;
    assert!(tls.tls);
    cancel_a_sleeping_query(&tls).await;
}

#[tokio::test]
async fn a_terminated_session_is_closed() {
    let port = password_server().await.port();
    let input = format!("postgres://postgres:{PW}@127.0.0.1:{port}/postgres");
    let victim = connect_ok(&input, &no_env()).await;
    let pid: i32 = scalar(&victim, "SELECT pg_backend_pid()").await;
    let admin = connect_ok(&input, &no_env()).await;
    let terminated: bool = admin.client.query_one("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap().get(0);
    assert!(terminated);
    let started = Instant::now();
    while !victim.is_closed() {
        assert!(started.elapsed() < Duration::from_secs(10), "the session never noticed it was terminated");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(victim.client.simple_query("SELECT 1").await.is_err());
    assert!(!admin.is_closed());
    assert_eq!(admin.connection_error(), None);
}

#[tokio::test]
async fn connect_config_uses_no_tls() {
    let sandbox = tls_server().await;
    let session = connect::connect_config(&sandbox.config("postgres")).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!session.tls);
    assert_eq!(session.target, format!("postgres@{}:{}/postgres", sandbox.socket_dir().display(), sandbox.port()));
    let mut config: tokio_postgres::Config =
        format!("host=127.0.0.1 port={} user=postgres dbname=postgres", sandbox.port()).parse().unwrap();
    config.password(PW);
    let session = connect::connect_config(&config).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!session.tls && !server_sees_ssl(&session).await);
    config.dbname("no_such_db");
    let err = connect::connect_config(&config).await.unwrap_err();
    assert_hidden(&err);
    assert!(matches!(err, ConnectError::DatabaseMissing { .. }), "{err:?}");
}
