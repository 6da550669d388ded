//! Turning a tokio-postgres error into a [`ConnectError`] a DBA can act on.

use super::*;

/// What can be learned from a tokio-postgres error. Its kind is private; its `Display` is the
/// kind's fixed wording ("error connecting to server", ...), which the unit tests pin down.
#[derive(Debug, Default, Clone)]
pub(super) struct Facts {
    /// `Display` of the error: the kind.
    pub(super) kind: String,
    /// SQLSTATE, the server's message, and the full server text (severity, detail, hint).
    pub(super) code: Option<String>,
    pub(super) db_message: String,
    pub(super) server_text: String,
    /// The first cause's text, the first I/O error kind and the rustls error, if any.
    pub(super) cause: String,
    pub(super) io_kind: Option<io::ErrorKind>,
    pub(super) rustls: Option<rustls::Error>,
}

pub(super) const KIND_CONNECT: &str = "error connecting to server";
pub(super) const KIND_TLS: &str = "error performing TLS handshake";
pub(super) const KIND_CONFIG: &str = "invalid configuration";
pub(super) const KIND_AUTH: &str = "authentication error";

impl Facts {
    pub(super) fn of(e: &tokio_postgres::Error) -> Facts {
        let mut facts = Facts { kind: e.to_string(), ..Facts::default() };
        if let Some(db) = e.as_db_error() {
            facts.code = Some(db.code().code().to_string());
            facts.db_message = db.message().to_string();
            facts.server_text = crate::db::describe(e);
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

    pub(super) fn text(&self) -> String {
        if self.cause.is_empty() { self.kind.clone() } else { format!("{}: {}", self.kind, self.cause) }
    }
}

pub(super) fn is_role_missing(message: &str) -> bool {
    message.starts_with("role \"") && message.ends_with("\" does not exist")
}

pub(super) fn classify(f: &Facts, ctx: &Ctx) -> ConnectError {
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
    if speaks_another_protocol(f) {
        let reason = format!(
            "the server on host \"{}\" port {} does not speak the PostgreSQL protocol ({}): is this the right port?",
            ctx.host,
            ctx.port,
            f.text()
        );
        return ConnectError::Unreachable { target, reason };
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

/// The peer answered, but not as PostgreSQL does (an HTTP or SSH server on that port…).
pub(super) fn speaks_another_protocol(f: &Facts) -> bool {
    let text = f.text();
    f.kind == "unexpected message from server"
        || f.kind == "error parsing response from server"
        || text.contains("bytes remaining on stream")
        || text.contains("unexpected response from SSL request")
}

/// A failure before PostgreSQL said anything: the socket, DNS, or target_session_attrs.
pub(super) fn connect_failure(f: &Facts, ctx: &Ctx) -> ConnectError {
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
pub(super) fn presented_name(name: &str) -> &str {
    match name.split_once('(') {
        Some((kind, rest)) if kind.chars().all(|c| c.is_ascii_alphabetic()) && rest.ends_with(')') => {
            let inner = &rest[..rest.len() - 1];
            inner.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(inner)
        }
        _ => name,
    }
}

pub(super) fn tls_reason(f: &Facts, ctx: &Ctx) -> String {
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
            other => certificate_words(other),
        },
        Some(rustls::Error::AlertReceived(alert)) => format!(
            "the server aborted the TLS handshake ({}): it may require a client certificate (sslcert, sslkey) it \
             trusts, or a TLS version this client does not offer",
            words(&format!("{alert:?}"))
        ),
        Some(other) => format!("the TLS handshake failed: {}", words(&other.to_string())),
        None if f.io_kind == Some(io::ErrorKind::UnexpectedEof) => {
            "the server closed the connection during the TLS handshake".into()
        }
        None => f.cause.clone(),
    }
}

/// The rarer certificate refusals in a sentence (never the library's `Other(OtherError(…))`).
fn certificate_words(e: &CertificateError) -> String {
    match e {
        CertificateError::BadEncoding => "the server's certificate is not a well-formed X.509 certificate".into(),
        CertificateError::UnhandledCriticalExtension => {
            "the server's certificate has a critical extension this client does not understand".into()
        }
        CertificateError::BadSignature => "the signature on the server's certificate does not verify".into(),
        CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the server's certificate is signed with an algorithm this client does not support".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the server's certificate is not meant for a TLS server (its extended key usage says otherwise)".into()
        }
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. }
        | CertificateError::InvalidOcspResponse => {
            "the revocation status of the server's certificate could not be checked".into()
        }
        CertificateError::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            "the server presents a certificate authority's own certificate as its certificate: its ssl_cert_file must \
             be a certificate that authority issued for the server (with its ssl_key_file), not the authority's"
                .into()
        }
        other => format!("the server's certificate was rejected ({})", words(&format!("{other:?}"))),
    }
}

/// A library's identifier in words: the innermost name of `Other(OtherError(CaUsedAsEndEntity))`
/// ("ca used as end entity"); text that is already words stays as it is.
pub(super) fn words(text: &str) -> String {
    let inner = text.rsplit('(').next().unwrap_or(text).trim_end_matches(')').trim();
    let inner = if inner.is_empty() { text } else { inner };
    if inner.contains(' ') || !inner.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return text.to_owned();
    }
    let mut out = String::new();
    for (i, c) in inner.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
