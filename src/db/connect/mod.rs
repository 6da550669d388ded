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
//!   `~/.postgresql/root.crt`; with neither, the connection is refused before it is tried, as
//!   libpq refuses it); the host name is not checked;
//! - `verify-full`: the same, and the certificate must name the host connected to.
//!
//! `sslrootcert=system` means the system's trusted roots, and then sslmode verify-full (the
//! default there; any other is refused), as in libpq 16. A client certificate
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
    /// The input was built from a form's fields (the window's Host, Port, …, Password): a
    /// message about the password names the Password field, not a connection string.
    pub from_fields: bool,
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
        ConnectOptions {
            env: Box::new(|name| std::env::var(name).ok()),
            os_user: os_user(),
            default_socket_dir,
            from_fields: false,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("env", &"<fn>")
            .field("os_user", &self.os_user)
            .field("default_socket_dir", &self.default_socket_dir)
            .field("from_fields", &self.from_fields)
            .finish()
    }
}

/// The login name of the effective user (libpq's default user), else `$USER`, else "".
fn os_user() -> String {
    // SAFETY: `passwd` is a plain C struct of integers and pointers; all zeroes is a valid value.
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
    reach: Reach,
    ended: Arc<Mutex<Option<String>>>,
}

/// What cancelling and opening another connection need: the cancel token, the configuration
/// and the TLS connector the session was opened with (a cancel request is a new connection,
/// with the same TLS settings).
struct Reach {
    token: CancelToken,
    config: Config,
    tls: Option<MakeRustlsConnect>,
    ctx: Ctx,
}

impl Session {
    /// Ask the server to cancel the query running on this session (PostgreSQL's cancel
    /// request; the query then fails with SQLSTATE 57014). Success means the request was sent,
    /// not that a query was running.
    pub async fn cancel(&self) -> Result<(), ConnectError> {
        let c = &self.reach;
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

    /// Open another connection to the same server and database with the same settings (TLS
    /// if this one uses it), for work that runs beside this session.
    pub async fn open_another(&self) -> Result<Session, ConnectError> {
        let r = &self.reach;
        let mut config = r.config.clone();
        config.ssl_mode(if r.tls.is_some() { WireSslMode::Require } else { WireSslMode::Disable });
        attempt(&config, r.tls.as_ref(), &r.ctx).await
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
    ci.apply_system_roots_rule()?;
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
            let (password, password_state) = password_for(
                &ci,
                password_in_input.then_some(options.from_fields),
                passfile.as_deref(),
                host,
                *port,
                &dbname,
                &user,
            );
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

/// The password for one host: the input's (`in_input`: `Some(from_fields)` when the input
/// holds one) or PGPASSWORD's, else the password file's. A password file that cannot be read is only mentioned if the server wants a password.
fn password_for(
    ci: &ConnInfo,
    in_input: Option<bool>,
    passfile: Option<&Path>,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> (Option<Secret>, PasswordState) {
    if let Some(password) = &ci.password {
        let from = match in_input {
            Some(true) => "the Password field",
            Some(false) => "the connection string",
            None => "PGPASSWORD",
        };
        return (Some(password.clone()), PasswordState::Given(from.into()));
    }
    let nothing_given = "no password given, PGPASSWORD not set";
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
                Ok(start(client, connection, config, None, ctx))
            }
            Some(tls) => {
                let used = Arc::new(AtomicBool::new(false));
                let tracked = Tracked { inner: tls.clone(), used: Arc::clone(&used) };
                let (client, connection) = config.connect(tracked).await?;
                let used = used.load(Ordering::SeqCst);
                Ok(start(client, connection, config, used.then(|| tls.clone()), ctx))
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
    config: &Config,
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
    let tls = connector.is_some();
    let reach = Reach { token: client.cancel_token(), config: config.clone(), tls: connector, ctx: ctx.clone() };
    Session { client, target: ctx.target.clone(), server_version, tls, reach, ended }
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

mod classify;
#[cfg(test)]
mod tests;
mod tls;

use classify::*;
use tls::*;
