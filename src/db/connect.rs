//! Connecting the way libpq would: a connection string or URL (see [`conninfo`]) plus the PG*
//! environment and the password file become a [`tokio_postgres::Config`], TLS follows `sslmode`
//! (rustls with the `ring` provider), and every failure becomes a [`ConnectError`] a DBA can act
//! on: which target (`user@host:port/db`, never the password) and what went wrong (unreachable,
//! timed out, wrong or missing password, refused by pg_hba.conf, no such role or database, TLS).
//!
//! TLS, as libpq does it:
//! - unix sockets never use TLS, whatever `sslmode` says (libpq ignores it there);
//! - `disable`: never; `allow`: plain first, TLS if the server refuses the plain connection;
//!   `prefer` (the default): TLS when the server offers it, plain if the handshake fails;
//!   `require`: TLS or nothing. These three check no certificate, unless a root certificate file
//!   exists (`sslrootcert`, else `~/.postgresql/root.crt`): then the issuer is checked, as with
//!   `verify-ca`;
//! - `verify-ca`: TLS, and the server's certificate must chain to `sslrootcert` (else
//!   `~/.postgresql/root.crt`, else the system's trusted roots); the host name is not checked;
//! - `verify-full`: the same, and the certificate must name the host connected to.
//!
//! `sslrootcert=system` means the system's trusted roots (as in libpq 16). A client certificate
//! is sent when `sslcert` (else `~/.postgresql/postgresql.crt`) exists, with its key `sslkey`
//! (else `~/.postgresql/postgresql.key`).
//!
//! Deviations from libpq: a connection is given up after 10 s when no `connect_timeout` is set
//! (libpq waits forever); `target_session_attrs=primary` is checked as `read-write` and
//! `standby` as `read-only` (what tokio-postgres can check); with several hosts the error of the
//! last one tried is reported.

use std::fmt;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::{SslMode as WireSslMode, TargetSessionAttrs};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{CancelToken, Client, Config, Connection, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::conninfo::{self, ConnInfo, ConnInfoError, PassfileLookup, Secret, SslMode};

/// How long one host may take to accept a connection when `connect_timeout` is not set.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `application_name` when none is given.
pub const DEFAULT_APPLICATION_NAME: &str = "pgstage";

/// Why a connection could not be made. Every variant names the target as
/// `user@host:port/dbname`; none ever contains the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The connection string, URL or PG* variables are invalid.
    #[error("invalid connection settings: {0}")]
    Config(#[from] ConnInfoError),
    /// Nothing answers: connection refused, no route, unknown host name, no socket file.
    #[error("cannot reach {target}: {reason}")]
    Unreachable { target: String, reason: String },
    /// No complete answer within `connect_timeout` (default 10 s).
    #[error(
        "no answer from {target} within {seconds} s (connect_timeout): the host may be down, a firewall may drop \
         the packets, or it is not a PostgreSQL server"
    )]
    Timeout { target: String, seconds: u64 },
    /// SQLSTATE 28P01. PostgreSQL answers the same when the role does not exist or has no
    /// password, so as not to tell an attacker which roles exist.
    #[error(
        "password authentication failed for user \"{user}\" at {target} (the password came from {password_from}; \
         the server says the same when the role does not exist or has no password)"
    )]
    WrongPassword { target: String, user: String, password_from: String },
    /// The server asked for a password and none was given or found; `looked` says where.
    #[error("{target} asks for a password for user \"{user}\", and there is none: {looked}")]
    PasswordRequired { target: String, user: String, looked: String },
    /// SQLSTATE 28000 and other refusals (no pg_hba.conf entry, role not allowed to log in,
    /// unsupported authentication method), with the server's words.
    #[error("{target} refused the connection: {reason}")]
    AuthRejected { target: String, reason: String },
    /// SQLSTATE 28000 `role "…" does not exist` (servers say so only when no password is asked).
    #[error("role \"{user}\" does not exist on {target}")]
    RoleMissing { target: String, user: String },
    /// SQLSTATE 3D000.
    #[error("database \"{dbname}\" does not exist on {target}")]
    DatabaseMissing { target: String, dbname: String },
    /// TLS could not be set up: server without SSL while it is required, untrusted, expired or
    /// misnamed certificate, handshake refused, unreadable certificate files.
    #[error("TLS with {target} failed: {reason}")]
    Tls { target: String, reason: String },
    /// Anything else the server or the connection reported, with the server's words.
    #[error("{target}: {message}")]
    Server { target: String, message: String },
}

impl ConnectError {
    /// The `user@host:port/dbname` the error is about (none for invalid settings).
    pub fn target(&self) -> Option<&str> {
        match self {
            ConnectError::Config(_) => None,
            ConnectError::Unreachable { target, .. }
            | ConnectError::Timeout { target, .. }
            | ConnectError::WrongPassword { target, .. }
            | ConnectError::PasswordRequired { target, .. }
            | ConnectError::AuthRejected { target, .. }
            | ConnectError::RoleMissing { target, .. }
            | ConnectError::DatabaseMissing { target, .. }
            | ConnectError::Tls { target, .. }
            | ConnectError::Server { target, .. } => Some(target),
        }
    }
}

/// A view of the environment: the value of a variable, if set.
pub type Env = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Where [`connect`] reads the environment and libpq's defaults from.
pub struct ConnectOptions {
    /// The environment (PG* variables, HOME). Default: the process environment.
    pub env: Box<Env>,
    /// The default user name. Default: the login name of the effective user id (as libpq),
    /// else `$USER`.
    pub os_user: String,
    /// The default host when none is given: a unix socket directory, or `None` for
    /// "localhost". Default: /var/run/postgresql if it exists, /tmp on macOS.
    pub default_socket_dir: Option<PathBuf>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        let debian = Path::new("/var/run/postgresql");
        let default_socket_dir = if debian.is_dir() {
            Some(debian.to_path_buf())
        } else if cfg!(target_os = "macos") {
            Some(PathBuf::from("/tmp"))
        } else {
            None
        };
        ConnectOptions { env: Box::new(|name| std::env::var(name).ok()), os_user: os_user(), default_socket_dir }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("env", &"<fn>")
            .field("os_user", &self.os_user)
            .field("default_socket_dir", &self.default_socket_dir)
            .finish()
    }
}

/// The login name of the effective user (libpq's default user), else `$USER`, else "".
fn os_user() -> String {
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes into `pwd` and `buf`, both ours and large enough (it fails with
    // ERANGE otherwise); pw_name points into `buf` and is copied out before `buf` is dropped.
    let name = unsafe {
        let rc = libc::getpwuid_r(libc::geteuid(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        (rc == 0 && !result.is_null() && !pwd.pw_name.is_null())
            .then(|| std::ffi::CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned())
    };
    name.filter(|n| !n.is_empty()).or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty())).unwrap_or_default()
}

/// An open connection. The connection's I/O runs on a task of the tokio runtime that made it.
pub struct Session {
    pub client: Client,
    /// `user@host:port/dbname` of the server connected to (no password).
    pub target: String,
    /// The server's `server_version`, e.g. "16.4 (Debian 16.4-1.pgdg120+1)".
    pub server_version: String,
    /// Whether the connection is encrypted.
    pub tls: bool,
    cancel: Canceller,
    ended: Arc<Mutex<Option<String>>>,
}

/// What cancelling needs: the token, and the TLS connector used for the session (a cancel
/// request is a new connection, with the same TLS settings).
struct Canceller {
    token: CancelToken,
    tls: Option<MakeRustlsConnect>,
    ctx: Ctx,
}

impl Session {
    /// Ask the server to cancel the query running on this session (PostgreSQL's cancel
    /// request; the query then fails with SQLSTATE 57014). Success means the request was sent,
    /// not that a query was running.
    pub async fn cancel(&self) -> Result<(), ConnectError> {
        let c = &self.cancel;
        let sent = match &c.tls {
            Some(tls) => tokio::time::timeout(c.ctx.timeout, c.token.cancel_query(tls.clone())).await,
            None => tokio::time::timeout(c.ctx.timeout, c.token.cancel_query(NoTls)).await,
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(classify(&Facts::of(&e), &c.ctx)),
            Err(_) => Err(ConnectError::Timeout { target: c.ctx.target.clone(), seconds: c.ctx.timeout.as_secs() }),
        }
    }

    /// Whether the connection is gone (closed by the server, the network, or an error).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// How the connection ended, when it ended with an error.
    pub fn connection_error(&self) -> Option<String> {
        self.ended.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.target)
            .field("server_version", &self.server_version)
            .field("tls", &self.tls)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Connect as libpq would with `input` (a keyword/value string or a URL): the PG* variables
/// and defaults of `options` fill what `input` leaves out, the password file supplies a
/// missing password, and `sslmode` decides on TLS. Hosts are tried in order.
pub async fn connect(input: &str, options: &ConnectOptions) -> Result<Session, ConnectError> {
    let env = &*options.env;
    let mut ci = conninfo::parse(input)?;
    let password_in_input = ci.password.is_some();
    ci.apply_env(env)?;
    ci.resolved_defaults(&options.os_user, options.default_socket_dir.as_deref());
    let targets = ci.targets()?;
    let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let passfile = ci.effective_passfile(env);
    let timeout = ci.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let user = ci.user.clone().unwrap_or_default();
    let dbname = ci.dbname.clone().unwrap_or_default();
    let passes: &[TargetSessionAttrs] = match ci.target_session_attrs.as_deref() {
        Some("read-write" | "primary") => &[TargetSessionAttrs::ReadWrite],
        Some("read-only" | "standby") => &[TargetSessionAttrs::ReadOnly],
        Some("prefer-standby") => &[TargetSessionAttrs::ReadOnly, TargetSessionAttrs::Any],
        _ => &[TargetSessionAttrs::Any],
    };
    // Prepared on the first TCP host only: a unix socket never needs it.
    let mut tls: Option<Result<Tls, String>> = None;
    let mut last = None;
    for &attrs in passes {
        for (host, port) in &targets {
            let mut one = ci.clone();
            (one.hosts, one.ports) = (vec![host.clone()], vec![*port]);
            let (password, password_state) =
                password_for(&ci, password_in_input, passfile.as_deref(), host, *port, &dbname, &user);
            let mut config = Config::new();
            if host.starts_with('/') {
                config.host_path(host);
            } else {
                config.host(host);
            }
            config.port(*port).user(&user).dbname(&dbname).connect_timeout(timeout).target_session_attrs(attrs);
            config.application_name(ci.application_name.as_deref().unwrap_or(DEFAULT_APPLICATION_NAME));
            if let Some(options) = &ci.options {
                config.options(options);
            }
            if let Some(password) = &password {
                config.password(password.expose());
            }
            let mut ctx = Ctx {
                target: one.describe_target(),
                host: host.clone(),
                port: *port,
                user: user.clone(),
                dbname: dbname.clone(),
                sslmode: ci.sslmode,
                roots: String::new(),
                timeout,
                password: password_state,
            };
            let result = if host.starts_with('/') || ci.sslmode == SslMode::Disable {
                plain(&mut config, &ctx).await
            } else {
                match tls.get_or_insert_with(|| Tls::prepare(&ci, home.as_deref())) {
                    Err(reason) => Err(ConnectError::Tls { target: ctx.target.clone(), reason: reason.clone() }),
                    Ok(tls) => {
                        ctx.roots = tls.choice.check.describe();
                        tcp(&mut config, tls, &ctx).await
                    }
                }
            };
            match result {
                Ok(session) => return Ok(session),
                Err(e) => last = Some(e),
            }
        }
    }
    Err(last.expect("targets() returns at least one host"))
}

/// Connect with a ready-made configuration, without TLS (for the sandbox and tests). The
/// connection gives up after `connect_timeout`, or 10 s.
pub async fn connect_config(config: &Config) -> Result<Session, ConnectError> {
    let mut config = config.clone();
    if config.get_application_name().is_none() {
        config.application_name(DEFAULT_APPLICATION_NAME);
    }
    let timeout = config.get_connect_timeout().copied().unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let password = if config.get_password().is_some() {
        PasswordState::Given("the configuration".into())
    } else {
        PasswordState::Missing("the configuration has no password".into())
    };
    let ctx = Ctx {
        target: super::describe_config(&config),
        host,
        port: config.get_ports().first().copied().unwrap_or(conninfo::DEFAULT_PORT),
        user: config.get_user().unwrap_or_default().to_string(),
        dbname: config.get_dbname().unwrap_or_default().to_string(),
        sslmode: SslMode::Disable,
        roots: String::new(),
        timeout,
        password,
    };
    plain(&mut config, &ctx).await
}

/// What an error message needs to know about the attempt (never the password itself).
#[derive(Debug, Clone)]
struct Ctx {
    target: String,
    host: String,
    port: u16,
    user: String,
    dbname: String,
    sslmode: SslMode,
    /// What certificates were checked against, for messages ("" when no TLS).
    roots: String,
    timeout: Duration,
    password: PasswordState,
}

/// Whether a password was sent, and where it came from or where we looked for one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PasswordState {
    Given(String),
    Missing(String),
}

/// The password for one host: the connection string's or PGPASSWORD's, else the password
/// file's. A password file that cannot be read is only mentioned if the server wants a password.
fn password_for(
    ci: &ConnInfo,
    in_input: bool,
    passfile: Option<&Path>,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> (Option<Secret>, PasswordState) {
    if let Some(password) = &ci.password {
        let from = if in_input { "the connection string" } else { "PGPASSWORD" };
        return (Some(password.clone()), PasswordState::Given(from.into()));
    }
    let nothing_given = "no password in the connection string, PGPASSWORD not set";
    let Some(path) = passfile else {
        return (
            None,
            PasswordState::Missing(format!("{nothing_given}, and no password file (neither PGPASSFILE nor HOME is set)")),
        );
    };
    let shown = path.display();
    let looked = match conninfo::password_from_passfile(path, host, port, dbname, user) {
        Ok(PassfileLookup::Found(secret)) => {
            return (Some(secret), PasswordState::Given(format!("the password file {shown}")));
        }
        Ok(PassfileLookup::NotFound) if path.exists() => {
            format!("{nothing_given}, and no line of the password file {shown} matches {host}:{port}:{dbname}:{user}")
        }
        Ok(PassfileLookup::NotFound) => format!("{nothing_given}, and the password file {shown} does not exist"),
        Ok(PassfileLookup::IgnoredInsecurePermissions) => format!(
            "{nothing_given}, and the password file {shown} was ignored because group or others may read it \
             (libpq's rule; fix with: chmod 0600 {shown})"
        ),
        Ok(PassfileLookup::IgnoredNotRegularFile) => {
            format!("{nothing_given}, and the password file {shown} was ignored because it is not a plain file")
        }
        Err(e) => format!("{nothing_given}, and {e}"),
    };
    (None, PasswordState::Missing(looked))
}

/// One attempt without TLS.
async fn plain(config: &mut Config, ctx: &Ctx) -> Result<Session, ConnectError> {
    config.ssl_mode(WireSslMode::Disable);
    attempt(config, None, ctx).await
}

/// The TCP attempts `sslmode` calls for (libpq retries `allow` with TLS and `prefer` without).
async fn tcp(config: &mut Config, tls: &Tls, ctx: &Ctx) -> Result<Session, ConnectError> {
    match tls.choice.order {
        Order::Plain => plain(config, ctx).await,
        Order::TlsOnly => {
            config.ssl_mode(WireSslMode::Require);
            attempt(config, Some(&tls.connector), ctx).await
        }
        Order::TlsThenPlain => {
            config.ssl_mode(WireSslMode::Prefer);
            match attempt(config, Some(&tls.connector), ctx).await {
                Err(first @ ConnectError::Tls { .. }) => plain(config, ctx).await.map_err(|_| first),
                other => other,
            }
        }
        Order::PlainThenTls => match plain(config, ctx).await {
            Err(first @ (ConnectError::AuthRejected { .. } | ConnectError::Server { .. })) => {
                config.ssl_mode(WireSslMode::Require);
                attempt(config, Some(&tls.connector), ctx).await.map_err(|_| first)
            }
            other => other,
        },
    }
}

/// One connection attempt, bounded by the context's timeout as a whole (the TCP connect, the
/// TLS handshake and authentication).
async fn attempt(config: &Config, tls: Option<&MakeRustlsConnect>, ctx: &Ctx) -> Result<Session, ConnectError> {
    let work = async {
        match tls {
            None => {
                let (client, connection) = config.connect(NoTls).await?;
                Ok(start(client, connection, false, None, ctx))
            }
            Some(tls) => {
                let used = Arc::new(AtomicBool::new(false));
                let tracked = Tracked { inner: tls.clone(), used: Arc::clone(&used) };
                let (client, connection) = config.connect(tracked).await?;
                let used = used.load(Ordering::SeqCst);
                Ok(start(client, connection, used, used.then(|| tls.clone()), ctx))
            }
        }
    };
    match tokio::time::timeout(ctx.timeout, work).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err(e)) => Err(classify(&Facts::of(&e), ctx)),
        Err(_) => Err(ConnectError::Timeout { target: ctx.target.clone(), seconds: ctx.timeout.as_secs() }),
    }
}

/// Spawn the connection's I/O on the current runtime and wrap up the session.
fn start<S, T>(
    client: Client,
    connection: Connection<S, T>,
    tls: bool,
    connector: Option<MakeRustlsConnect>,
    ctx: &Ctx,
) -> Session
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let server_version = connection.parameter("server_version").unwrap_or_default().to_string();
    let ended = Arc::new(Mutex::new(None));
    let record = Arc::clone(&ended);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            *record.lock().unwrap_or_else(|e| e.into_inner()) = Some(super::describe(&e));
        }
    });
    let cancel = Canceller { token: client.cancel_token(), tls: connector, ctx: ctx.clone() };
    Session { client, target: ctx.target.clone(), server_version, tls, cancel, ended }
}

/// A rustls connector that records whether a handshake happened (with `prefer` the server
/// may decline TLS, and tokio-postgres does not say).
struct Tracked {
    inner: MakeRustlsConnect,
    used: Arc<AtomicBool>,
}

type RustlsConnect = <MakeRustlsConnect as MakeTlsConnect<Socket>>::TlsConnect;
type RustlsStream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;

impl MakeTlsConnect<Socket> for Tracked {
    type Stream = RustlsStream;
    type TlsConnect = TrackedConnect;
    type Error = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<TrackedConnect, Self::Error> {
        Ok(TrackedConnect {
            inner: MakeTlsConnect::<Socket>::make_tls_connect(&mut self.inner, domain)?,
            used: Arc::clone(&self.used),
        })
    }
}

struct TrackedConnect {
    inner: RustlsConnect,
    used: Arc<AtomicBool>,
}

impl TlsConnect<Socket> for TrackedConnect {
    type Stream = RustlsStream;
    type Error = <RustlsConnect as TlsConnect<Socket>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<RustlsStream, Self::Error>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        let handshake = self.inner.connect(stream);
        let used = self.used;
        Box::pin(async move {
            let stream = handshake.await?;
            used.store(true, Ordering::SeqCst);
            Ok(stream)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// TLS choice and rustls configuration

/// In which order plain and TLS connections are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Plain,
    PlainThenTls,
    TlsThenPlain,
    TlsOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Roots {
    File(PathBuf),
    System,
}

/// What is checked of the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    Nothing,
    Issuer(Roots),
    IssuerAndName(Roots),
}

impl Check {
    fn describe(&self) -> String {
        match self {
            Check::Nothing => "nothing (no root certificate file; sslmode=verify-ca or verify-full checks)".into(),
            Check::Issuer(Roots::File(p)) | Check::IssuerAndName(Roots::File(p)) => {
                format!("the root certificate file {}", p.display())
            }
            Check::Issuer(Roots::System) | Check::IssuerAndName(Roots::System) => "the system's trusted root certificates".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TlsChoice {
    order: Order,
    check: Check,
}

/// libpq's rules (see the module doc). `rootcert` is `sslrootcert`; `default_root` is
/// `~/.postgresql/root.crt`; `exists` tells whether a file is there. Fails (with the reason) when
/// a verifying mode names a root certificate file that does not exist.
fn choose_tls(
    sslmode: SslMode,
    rootcert: Option<&Path>,
    default_root: Option<&Path>,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<TlsChoice, String> {
    let order = match sslmode {
        SslMode::Disable => return Ok(TlsChoice { order: Order::Plain, check: Check::Nothing }),
        SslMode::Allow => Order::PlainThenTls,
        SslMode::Prefer => Order::TlsThenPlain,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Order::TlsOnly,
    };
    let default = default_root.filter(|p| exists(p)).map(|p| Roots::File(p.to_path_buf()));
    let roots = match rootcert {
        Some(p) if p == Path::new("system") => Some(Roots::System),
        Some(p) if exists(p) => Some(Roots::File(p.to_path_buf())),
        Some(p) if matches!(sslmode, SslMode::VerifyCa | SslMode::VerifyFull) => {
            return Err(format!("the root certificate file {} (sslrootcert) does not exist", p.display()));
        }
        Some(_) => None,
        None => default,
    };
    let check = match (sslmode, roots) {
        (SslMode::VerifyFull, roots) => Check::IssuerAndName(roots.unwrap_or(Roots::System)),
        (SslMode::VerifyCa, roots) => Check::Issuer(roots.unwrap_or(Roots::System)),
        (_, Some(roots)) => Check::Issuer(roots),
        (_, None) => Check::Nothing,
    };
    Ok(TlsChoice { order, check })
}

/// The TLS side of a connection attempt: the choice, and the connector built for it.
struct Tls {
    choice: TlsChoice,
    connector: MakeRustlsConnect,
}

impl Tls {
    fn prepare(ci: &ConnInfo, home: Option<&Path>) -> Result<Tls, String> {
        let dot = home.map(|h| h.join(".postgresql"));
        let default_root = dot.as_ref().map(|d| d.join("root.crt"));
        let choice = choose_tls(ci.sslmode, ci.sslrootcert.as_deref(), default_root.as_deref(), &|p| p.exists())?;
        let cert = ci.sslcert.clone().or_else(|| dot.as_ref().map(|d| d.join("postgresql.crt")));
        let key = ci.sslkey.clone().or_else(|| dot.as_ref().map(|d| d.join("postgresql.key")));
        let config = rustls_config(&choice.check, cert.as_deref(), key.as_deref())?;
        Ok(Tls { choice, connector: MakeRustlsConnect::new(config) })
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn rustls_config(check: &Check, cert: Option<&Path>, key: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(AcceptAnyCertificate { algorithms: provider.signature_verification_algorithms }),
        Check::Issuer(roots) => Arc::new(IssuerOnly { inner: webpki_verifier(roots, &provider)? }),
        Check::IssuerAndName(roots) => webpki_verifier(roots, &provider)?,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match client_certificate(cert, key)? {
        Some((chain, key_der)) => {
            builder.with_client_auth_cert(chain, key_der).map_err(|e| format!("unusable client certificate or key: {e}"))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

fn webpki_verifier(roots: &Roots, provider: &Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read the root certificate file {}: {e}", path.display()))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("the root certificate file {} holds no usable certificate", path.display()));
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "no trusted root certificates found on this system ({}); give sslrootcert=FILE",
                    if why.is_empty() { "the store is empty".into() } else { why.join("; ") }
                ));
            }
        }
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::clone(provider))
        .build()
        .map_err(|e| format!("cannot use the root certificates: {e}"))
}

/// libpq sends a client certificate when the certificate file exists; its key must then exist
/// too, and must not be readable by group or others (0640 is allowed for a root-owned key).
fn client_certificate(
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, String> {
    let Some(cert) = cert.filter(|c| c.exists()) else { return Ok(None) };
    let Some(key) = key.filter(|k| k.exists()) else {
        return Err(format!("client certificate {} present, but not its private key file (sslkey)", cert.display()));
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(key).map_err(|e| format!("cannot read the private key file {}: {e}", key.display()))?;
        let allowed = if meta.uid() == 0 { 0o037 } else { 0o077 };
        if meta.mode() & allowed != 0 {
            return Err(format!(
                "private key file {} has group or world access; permissions should be u=rw (0600) or less",
                key.display()
            ));
        }
    }
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the client certificate {}: {e}", cert.display()))?;
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("cannot read the private key file {}: {e}", key.display()))?;
    Ok(Some((chain, key_der)))
}

/// `require`/`prefer` without a root certificate: encryption without authentication (as libpq).
/// The handshake signatures are still checked, so the server holds the certificate's key.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full webpki check (chain, validity, usage) but for the host name. webpki
/// checks the name last, after the chain, so a name error means everything else passed.
#[derive(Debug)]
struct IssuerOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for IssuerOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

// ---------------------------------------------------------------------------------------------
// Error classification

/// What can be learned from a tokio-postgres error. Its kind is private; its `Display` is the
/// kind's fixed wording ("error connecting to server", ...), which the unit tests pin down.
#[derive(Debug, Default, Clone)]
struct Facts {
    /// `Display` of the error: the kind.
    kind: String,
    /// SQLSTATE, the server's message, and the full server text (severity, detail, hint).
    code: Option<String>,
    db_message: String,
    server_text: String,
    /// The first cause's text, the first I/O error kind and the rustls error, if any.
    cause: String,
    io_kind: Option<io::ErrorKind>,
    rustls: Option<rustls::Error>,
}

const KIND_CONNECT: &str = "error connecting to server";
const KIND_TLS: &str = "error performing TLS handshake";
const KIND_CONFIG: &str = "invalid configuration";
const KIND_AUTH: &str = "authentication error";

impl Facts {
    fn of(e: &tokio_postgres::Error) -> Facts {
        let mut facts = Facts { kind: e.to_string(), ..Facts::default() };
        if let Some(db) = e.as_db_error() {
            facts.code = Some(db.code().code().to_string());
            facts.db_message = db.message().to_string();
            facts.server_text = super::describe(e);
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(err) = cause {
            if facts.cause.is_empty() {
                facts.cause = err.to_string();
            }
            if let Some(r) = err.downcast_ref::<rustls::Error>() {
                facts.rustls.get_or_insert_with(|| r.clone());
            }
            if let Some(io_err) = err.downcast_ref::<io::Error>() {
                facts.io_kind.get_or_insert(io_err.kind());
                // io::Error::source() skips the wrapped error itself: look at it directly.
                if let Some(r) = io_err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                    facts.rustls.get_or_insert_with(|| r.clone());
                }
            }
            cause = err.source();
        }
        facts
    }

    fn text(&self) -> String {
        if self.cause.is_empty() { self.kind.clone() } else { format!("{}: {}", self.kind, self.cause) }
    }
}

fn is_role_missing(message: &str) -> bool {
    message.starts_with("role \"") && message.ends_with("\" does not exist")
}

fn classify(f: &Facts, ctx: &Ctx) -> ConnectError {
    let target = ctx.target.clone();
    let user = ctx.user.clone();
    if let Some(code) = &f.code {
        return match code.as_str() {
            "28P01" => match &ctx.password {
                PasswordState::Given(from) => ConnectError::WrongPassword { target, user, password_from: from.clone() },
                PasswordState::Missing(looked) => ConnectError::PasswordRequired { target, user, looked: looked.clone() },
            },
            "28000" if is_role_missing(&f.db_message) => ConnectError::RoleMissing { target, user },
            "28000" => ConnectError::AuthRejected { target, reason: f.server_text.clone() },
            "3D000" => ConnectError::DatabaseMissing { target, dbname: ctx.dbname.clone() },
            _ => ConnectError::Server { target, message: f.server_text.clone() },
        };
    }
    match f.kind.as_str() {
        KIND_CONFIG if f.cause.contains("password missing") => {
            let looked = match &ctx.password {
                PasswordState::Missing(looked) => looked.clone(),
                PasswordState::Given(from) => format!("the password from {from} was not used"),
            };
            ConnectError::PasswordRequired { target, user, looked }
        }
        KIND_TLS => ConnectError::Tls { target, reason: tls_reason(f, ctx) },
        KIND_AUTH => ConnectError::AuthRejected { target, reason: f.cause.clone() },
        KIND_CONNECT => connect_failure(f, ctx),
        _ => ConnectError::Server { target, message: f.text() },
    }
}

/// A failure before PostgreSQL said anything: the socket, DNS, or target_session_attrs.
fn connect_failure(f: &Facts, ctx: &Ctx) -> ConnectError {
    let target = ctx.target.clone();
    let (host, port) = (&ctx.host, ctx.port);
    let socket = host.starts_with('/');
    let socket_file = format!("{}/.s.PGSQL.{port}", host.trim_end_matches('/'));
    let reason = match f.io_kind {
        Some(io::ErrorKind::TimedOut) => {
            return ConnectError::Timeout { target, seconds: ctx.timeout.as_secs() };
        }
        Some(io::ErrorKind::PermissionDenied) if !socket => {
            // tokio-postgres's target_session_attrs checks ("database does not allow writes").
            return ConnectError::Server { target, message: format!("{} (target_session_attrs)", f.cause) };
        }
        Some(io::ErrorKind::NotFound) if socket => {
            format!("no socket file {socket_file}: is the server running locally, with this socket directory and port?")
        }
        Some(io::ErrorKind::ConnectionRefused) if socket => {
            format!("connection refused on {socket_file}: the socket file is there but no server listens on it")
        }
        Some(io::ErrorKind::PermissionDenied) => format!("permission denied on {socket_file}"),
        Some(io::ErrorKind::ConnectionRefused) => format!(
            "connection refused: is the server running on host \"{host}\" and accepting TCP/IP connections on port {port}?"
        ),
        Some(io::ErrorKind::HostUnreachable) => format!("no route to host \"{host}\" ({})", f.cause),
        Some(io::ErrorKind::NetworkUnreachable) => format!("network unreachable for host \"{host}\" ({})", f.cause),
        _ if f.cause.contains("lookup address") || f.cause.contains("resolve") || f.cause.contains("Name or service") => {
            format!("could not translate host name \"{host}\" to an address ({})", f.cause)
        }
        _ => f.cause.clone(),
    };
    ConnectError::Unreachable { target, reason }
}

/// webpki shows the certificate's names as `DnsName("db.example.com")` or
/// `IpAddress(10.0.0.1)`: keep the name.
fn presented_name(name: &str) -> &str {
    match name.split_once('(') {
        Some((kind, rest)) if kind.chars().all(|c| c.is_ascii_alphabetic()) && rest.ends_with(')') => {
            let inner = &rest[..rest.len() - 1];
            inner.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(inner)
        }
        _ => name,
    }
}

fn tls_reason(f: &Facts, ctx: &Ctx) -> String {
    if f.cause.contains("server does not support TLS") {
        return format!(
            "the server does not support SSL, but sslmode={} demands it (set ssl=on on the server, or use sslmode=prefer)",
            ctx.sslmode
        );
    }
    let host = &ctx.host;
    match &f.rustls {
        Some(rustls::Error::InvalidCertificate(e)) => match e {
            CertificateError::UnknownIssuer => {
                format!("the server's certificate was not issued by a trusted authority (checked against {})", ctx.roots)
            }
            CertificateError::NotValidForName => format!("the server's certificate is not valid for host name \"{host}\""),
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "the server's certificate is not valid for host name \"{host}\" (it names {}); connect with a name on \
                 the certificate, or use sslmode=verify-ca to check only its issuer",
                if presented.is_empty() {
                    "no host".to_string()
                } else {
                    presented.iter().map(|name| presented_name(name)).collect::<Vec<_>>().join(", ")
                }
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the server's certificate has expired ({e})")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("the server's certificate is not valid yet ({e})")
            }
            CertificateError::Revoked => "the server's certificate has been revoked".into(),
            other => format!("the server's certificate was rejected: {other}"),
        },
        Some(rustls::Error::AlertReceived(alert)) => format!(
            "the server aborted the TLS handshake ({alert:?}): it may require a client certificate (sslcert, sslkey) it \
             trusts, or a TLS version this client does not offer"
        ),
        Some(other) => format!("TLS error: {other}"),
        None if f.io_kind == Some(io::ErrorKind::UnexpectedEof) => {
            "the server closed the connection during the TLS handshake".into()
        }
        None => f.cause.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    const PW: &str = "s3cr3t-Pa55";

    fn ctx(password: PasswordState) -> Ctx {
        Ctx {
            target: "alice@db.example.com:5432/app".into(),
            host: "db.example.com".into(),
            port: 5432,
            user: "alice".into(),
            dbname: "app".into(),
            sslmode: SslMode::Require,
            roots: "the root certificate file /etc/pg/ca.crt".into(),
            timeout: Duration::from_secs(3),
            password,
        }
    }

    fn given() -> Ctx {
        ctx(PasswordState::Given("PGPASSWORD".into()))
    }

    fn db_facts(code: &str, message: &str) -> Facts {
        Facts {
            kind: "db error".into(),
            code: Some(code.into()),
            db_message: message.into(),
            server_text: format!("FATAL: {message} (SQLSTATE {code})"),
            ..Facts::default()
        }
    }

    fn io_facts(kind: io::ErrorKind, text: &str) -> Facts {
        Facts { kind: KIND_CONNECT.into(), cause: text.into(), io_kind: Some(kind), ..Facts::default() }
    }

    fn assert_clean(e: &ConnectError) {
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains(PW), "password shown in: {shown}");
        }
    }

    #[test]
    fn tls_choice_follows_libpq() {
        let exists = |p: &Path| p.starts_with("/present");
        let root = Path::new("/present/root.crt");
        let missing = Path::new("/absent/ca.crt");
        let default = Path::new("/present/home/.postgresql/root.crt");
        let no_default = Path::new("/absent/home/.postgresql/root.crt");
        let choose = |mode, rootcert, default_root| choose_tls(mode, rootcert, default_root, &exists);
        let file = |p: &Path| Roots::File(p.to_path_buf());
        let ok = |order, check| Ok(TlsChoice { order, check });

        assert_eq!(choose(SslMode::Disable, Some(root), Some(default)), ok(Order::Plain, Check::Nothing));
        assert_eq!(choose(SslMode::Allow, None, Some(no_default)), ok(Order::PlainThenTls, Check::Nothing));
        assert_eq!(choose(SslMode::Prefer, None, Some(no_default)), ok(Order::TlsThenPlain, Check::Nothing));
        assert_eq!(choose(SslMode::Require, None, None), ok(Order::TlsOnly, Check::Nothing));
        // A root certificate file that exists makes the weak modes check the issuer.
        assert_eq!(choose(SslMode::Require, Some(root), None), ok(Order::TlsOnly, Check::Issuer(file(root))));
        assert_eq!(choose(SslMode::Prefer, None, Some(default)), ok(Order::TlsThenPlain, Check::Issuer(file(default))));
        // ... one that does not exist is ignored by them, and fatal for the verifying modes.
        assert_eq!(choose(SslMode::Require, Some(missing), Some(default)), ok(Order::TlsOnly, Check::Nothing));
        let err = choose(SslMode::VerifyCa, Some(missing), Some(default)).unwrap_err();
        assert!(err.contains("/absent/ca.crt") && err.contains("does not exist"), "{err}");
        assert!(choose(SslMode::VerifyFull, Some(missing), None).is_err());
        // verify-ca / verify-full: sslrootcert, else ~/.postgresql/root.crt, else the system's roots.
        assert_eq!(choose(SslMode::VerifyCa, Some(root), Some(default)), ok(Order::TlsOnly, Check::Issuer(file(root))));
        assert_eq!(choose(SslMode::VerifyCa, None, Some(default)), ok(Order::TlsOnly, Check::Issuer(file(default))));
        assert_eq!(choose(SslMode::VerifyCa, None, Some(no_default)), ok(Order::TlsOnly, Check::Issuer(Roots::System)));
        assert_eq!(choose(SslMode::VerifyFull, Some(root), None), ok(Order::TlsOnly, Check::IssuerAndName(file(root))));
        assert_eq!(choose(SslMode::VerifyFull, None, None), ok(Order::TlsOnly, Check::IssuerAndName(Roots::System)));
        assert_eq!(
            choose(SslMode::VerifyFull, Some(Path::new("system")), Some(default)),
            ok(Order::TlsOnly, Check::IssuerAndName(Roots::System))
        );
    }

    #[test]
    fn server_errors_are_classified() {
        let e = classify(&db_facts("28P01", "password authentication failed for user \"alice\""), &given());
        assert!(
            matches!(&e, ConnectError::WrongPassword { user, password_from, .. } if user == "alice" && password_from == "PGPASSWORD")
        );
        assert!(e.to_string().contains("alice@db.example.com:5432/app"), "{e}");

        let missing = ctx(PasswordState::Missing("looked everywhere".into()));
        let e = classify(&db_facts("28P01", "password authentication failed for user \"alice\""), &missing);
        assert!(matches!(&e, ConnectError::PasswordRequired { looked, .. } if looked == "looked everywhere"));

        let e = classify(&db_facts("28000", "role \"alice\" does not exist"), &given());
        assert!(matches!(&e, ConnectError::RoleMissing { user, .. } if user == "alice"));
        assert_eq!(e.to_string(), "role \"alice\" does not exist on alice@db.example.com:5432/app");

        let hba = "no pg_hba.conf entry for host \"10.0.0.1\", user \"alice\", database \"app\", no encryption";
        let e = classify(&db_facts("28000", hba), &given());
        assert!(matches!(&e, ConnectError::AuthRejected { reason, .. } if reason.contains(hba)));

        let e = classify(&db_facts("3D000", "database \"app\" does not exist"), &given());
        assert!(matches!(&e, ConnectError::DatabaseMissing { dbname, .. } if dbname == "app"));

        let e = classify(&db_facts("53300", "sorry, too many clients already"), &given());
        assert!(matches!(&e, ConnectError::Server { message, .. } if message.contains("too many clients")));
    }

    #[test]
    fn connection_failures_are_classified() {
        let c = given();
        let e = classify(&io_facts(io::ErrorKind::ConnectionRefused, "Connection refused (os error 111)"), &c);
        assert!(
            matches!(&e, ConnectError::Unreachable { reason, .. } if reason.contains("connection refused")
            && reason.contains("\"db.example.com\"") && reason.contains("5432")),
            "{e}"
        );
        let e = classify(&io_facts(io::ErrorKind::TimedOut, "connection timed out"), &c);
        assert!(matches!(e, ConnectError::Timeout { seconds: 3, .. }));
        let dns = "failed to lookup address information: Name or service not known";
        let e = classify(&io_facts(io::ErrorKind::Other, dns), &c);
        assert!(matches!(&e, ConnectError::Unreachable { reason, .. } if reason.starts_with("could not translate host name")));
        let e = classify(&io_facts(io::ErrorKind::PermissionDenied, "database does not allow writes"), &c);
        assert!(matches!(&e, ConnectError::Server { message, .. } if message.contains("does not allow writes")));

        let mut socket = given();
        socket.host = "/var/run/postgresql".into();
        let e = classify(&io_facts(io::ErrorKind::NotFound, "No such file or directory (os error 2)"), &socket);
        assert!(
            matches!(&e, ConnectError::Unreachable { reason, .. } if reason.contains("/var/run/postgresql/.s.PGSQL.5432")),
            "{e}"
        );
    }

    #[test]
    fn tls_failures_are_classified() {
        let c = given();
        let tls = |r: rustls::Error| Facts { kind: KIND_TLS.into(), cause: r.to_string(), rustls: Some(r), ..Facts::default() };
        let e = classify(&Facts { kind: KIND_TLS.into(), cause: "server does not support TLS".into(), ..Facts::default() }, &c);
        assert!(
            matches!(&e, ConnectError::Tls { reason, .. } if reason.contains("does not support SSL") && reason.contains("sslmode=require")),
            "{e}"
        );
        let e = classify(&tls(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)), &c);
        assert!(
            matches!(&e, ConnectError::Tls { reason, .. } if reason.contains("not issued by a trusted authority")
            && reason.contains("/etc/pg/ca.crt")),
            "{e}"
        );
        let mismatch = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("db.example.com").unwrap().to_owned(),
            presented: vec!["DnsName(\"other.example.com\")".into()],
        };
        let e = classify(&tls(rustls::Error::InvalidCertificate(mismatch)), &c);
        assert!(
            matches!(&e, ConnectError::Tls { reason, .. } if reason.contains("not valid for host name \"db.example.com\"")
            && reason.contains("(it names other.example.com)")),
            "{e}"
        );
        assert_eq!(presented_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(presented_name("*.example.com"), "*.example.com");
        let e = classify(&tls(rustls::Error::InvalidCertificate(CertificateError::Expired)), &c);
        assert!(matches!(&e, ConnectError::Tls { reason, .. } if reason.contains("expired")));
        let e = classify(&tls(rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired)), &c);
        assert!(matches!(&e, ConnectError::Tls { reason, .. } if reason.contains("client certificate")));
    }

    /// A server speaking just enough of the protocol to answer the start-up with `reply`
    /// (declining TLS when asked).
    async fn fake_server(mut io: DuplexStream, reply: Vec<u8>) {
        loop {
            let mut len = [0u8; 4];
            if io.read_exact(&mut len).await.is_err() {
                return;
            }
            let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
            if io.read_exact(&mut body).await.is_err() {
                return;
            }
            if body[..4] == 80877103u32.to_be_bytes() {
                io.write_all(b"N").await.unwrap();
                continue;
            }
            let _ = io.write_all(&reply).await;
            break;
        }
        let mut sink = [0u8; 256];
        while io.read(&mut sink).await.is_ok_and(|n| n > 0) {}
    }

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend(((body.len() + 4) as u32).to_be_bytes());
        m.extend(body);
        m
    }

    fn error_response(code: &str, text: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for (field, value) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', code), (b'M', text)] {
            body.push(field);
            body.extend(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        message(b'E', &body)
    }

    /// The real tokio-postgres error for a server answering `reply`.
    async fn real_error(config: &Config, reply: Vec<u8>) -> tokio_postgres::Error {
        let (client_side, server_side) = tokio::io::duplex(4096);
        tokio::spawn(fake_server(server_side, reply));
        match config.connect_raw(client_side, NoTls).await {
            Ok(_) => panic!("the fake server accepted the connection"),
            Err(e) => e,
        }
    }

    fn fake_config() -> Config {
        let mut config = Config::new();
        config.user("alice").dbname("app").ssl_mode(WireSslMode::Disable);
        config
    }

    /// Pins the tokio-postgres error wording the classification relies on.
    #[tokio::test]
    async fn real_tokio_postgres_errors_are_classified() {
        let cleartext = message(b'R', &3u32.to_be_bytes());
        let e = real_error(&fake_config(), cleartext).await;
        let looked = ctx(PasswordState::Missing("nothing anywhere".into()));
        let classified = classify(&Facts::of(&e), &looked);
        assert!(
            matches!(&classified, ConnectError::PasswordRequired { looked, .. } if looked == "nothing anywhere"),
            "{classified:?}"
        );

        let mut with_password = fake_config();
        with_password.password(PW);
        let e = real_error(&with_password, error_response("28P01", "password authentication failed for user \"alice\"")).await;
        let classified = classify(&Facts::of(&e), &given());
        assert!(matches!(classified, ConnectError::WrongPassword { .. }), "{classified:?}");
        assert_clean(&classified);

        let e = real_error(&fake_config(), error_response("3D000", "database \"app\" does not exist")).await;
        assert!(matches!(classify(&Facts::of(&e), &given()), ConnectError::DatabaseMissing { .. }));

        let mut require = fake_config();
        require.ssl_mode(WireSslMode::Require);
        let e = real_error(&require, Vec::new()).await;
        let classified = classify(&Facts::of(&e), &given());
        assert!(
            matches!(&classified, ConnectError::Tls { reason, .. } if reason.contains("does not support SSL")),
            "{classified:?}"
        );
    }

    fn options(vars: &[(&str, &str)]) -> ConnectOptions {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ConnectOptions {
            env: Box::new(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
            os_user: "osuser".into(),
            default_socket_dir: None,
        }
    }

    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn no_error_shows_the_password() {
        let none = options(&[]);
        let port = closed_port();
        let cases = [
            format!("host=127.0.0.1 port={port} user=alice password={PW}"),
            format!("postgres://alice:{PW}@127.0.0.1:{port}/app"),
            format!("host=/nonexistent/pgstage port={port} password={PW}"),
            format!("host=127.0.0.1 port={port} password={PW} sslmode=verify-full sslrootcert=/nonexistent/ca.crt"),
            format!("host=127.0.0.1 port={port} password={PW} sslmode=bogus"),
            format!("host=127.0.0.1 port=notaport password={PW}"),
            format!("postgres://alice:{PW}@127.0.0.1:{port}/app?bogus=1"),
            format!("host=127.0.0.1 password='{PW}"),
        ];
        for input in &cases {
            let e = connect(input, &none).await.unwrap_err();
            assert_clean(&e);
        }
        let e = connect(&format!("host=127.0.0.1 port={port}"), &options(&[("PGPASSWORD", PW)])).await.unwrap_err();
        assert!(matches!(e, ConnectError::Unreachable { .. }), "{e:?}");
        assert_clean(&e);

        // A listener that never answers: the whole attempt is bounded.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let mut config = Config::new();
        config.host("127.0.0.1").port(silent).user("alice").password(PW);
        config.connect_timeout(Duration::from_millis(300));
        let e = connect_config(&config).await.unwrap_err();
        assert!(matches!(e, ConnectError::Timeout { .. }), "{e:?}");
        assert_clean(&e);
        held.abort();

        // Every variant, built from facts with the password given.
        let c = given();
        for facts in [
            db_facts("28P01", "password authentication failed for user \"alice\""),
            db_facts("28000", "role \"alice\" does not exist"),
            db_facts("28000", "no pg_hba.conf entry"),
            db_facts("3D000", "database \"app\" does not exist"),
            db_facts("XX000", "internal error"),
            io_facts(io::ErrorKind::ConnectionRefused, "refused"),
            io_facts(io::ErrorKind::TimedOut, "timed out"),
            Facts { kind: KIND_TLS.into(), cause: "server does not support TLS".into(), ..Facts::default() },
            Facts { kind: KIND_CONFIG.into(), cause: "password missing".into(), ..Facts::default() },
        ] {
            assert_clean(&classify(&facts, &c));
        }
        assert!(!format!("{c:?}").contains(PW));
    }

    #[tokio::test]
    async fn unix_socket_without_a_server_is_unreachable_whatever_the_sslmode() {
        let e =
            connect("host=/nonexistent/pgstage port=5999 user=u dbname=d sslmode=verify-full", &options(&[])).await.unwrap_err();
        assert!(
            matches!(&e, ConnectError::Unreachable { reason, .. } if reason.contains("/nonexistent/pgstage/.s.PGSQL.5999")),
            "{e}"
        );
        assert_eq!(e.target(), Some("u@/nonexistent/pgstage:5999/d"));
    }

    #[test]
    fn default_options_know_the_os_user() {
        let o = ConnectOptions::default();
        assert!(!o.os_user.is_empty());
        assert!(format!("{o:?}").contains(&o.os_user));
    }
}
