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
    // verify-ca / verify-full: sslrootcert, else ~/.postgresql/root.crt, else an error (as libpq:
    // the system's roots only with sslrootcert=system).
    assert_eq!(choose(SslMode::VerifyCa, Some(root), Some(default)), ok(Order::TlsOnly, Check::Issuer(file(root))));
    assert_eq!(choose(SslMode::VerifyCa, None, Some(default)), ok(Order::TlsOnly, Check::Issuer(file(default))));
    let err = choose(SslMode::VerifyCa, None, Some(no_default)).unwrap_err();
    assert!(err.contains("/absent/home/.postgresql/root.crt does not exist") && err.contains("sslrootcert=system"), "{err}");
    assert_eq!(choose(SslMode::VerifyFull, Some(root), None), ok(Order::TlsOnly, Check::IssuerAndName(file(root))));
    let err = choose(SslMode::VerifyFull, None, None).unwrap_err();
    assert!(err.contains("HOME is not set") && err.contains("sslrootcert=system"), "{err}");
    assert_eq!(choose(SslMode::VerifyCa, Some(Path::new("system")), None), ok(Order::TlsOnly, Check::Issuer(Roots::System)));
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

/// What webpki reports for a server presenting its CA's certificate (its Display is its name).
#[derive(Debug)]
struct CaUsedAsEndEntity;

impl std::fmt::Display for CaUsedAsEndEntity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaUsedAsEndEntity")
    }
}

impl std::error::Error for CaUsedAsEndEntity {}

#[test]
fn every_tls_error_is_a_sentence() {
    let c = given();
    let tls = |r: rustls::Error| Facts { kind: KIND_TLS.into(), cause: r.to_string(), rustls: Some(r), ..Facts::default() };
    let other = || CertificateError::Other(rustls::OtherError(std::sync::Arc::new(CaUsedAsEndEntity)));
    let e = classify(&tls(rustls::Error::InvalidCertificate(other())), &c);
    assert!(
        matches!(&e, ConnectError::Tls { reason, .. } if reason.contains("presents a certificate authority's own certificate")),
        "{e}"
    );
    let errors = [
        rustls::Error::InvalidCertificate(other()),
        rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
        rustls::Error::InvalidCertificate(CertificateError::BadSignature),
        rustls::Error::InvalidCertificate(CertificateError::InvalidPurpose),
        rustls::Error::InvalidCertificate(CertificateError::UnhandledCriticalExtension),
        rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure),
        rustls::Error::InvalidCertificate(CertificateError::UnknownRevocationStatus),
        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
        rustls::Error::General("peer sent no certificates".into()),
    ];
    for r in errors {
        let e = classify(&tls(r), &c).to_string();
        assert!(!e.contains("Other") && !e.contains("Error(") && !e.contains("Context {"), "not a sentence: {e}");
        // No library identifier (a CamelCase word) left in it.
        let camel = e.split(|c: char| !c.is_alphanumeric()).find(|w| {
            w.len() > 3 && w.chars().skip(1).any(|c| c.is_ascii_uppercase()) && w.chars().any(|c| c.is_ascii_lowercase())
        });
        assert_eq!(camel, None, "{e}");
    }
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
    assert!(matches!(&classified, ConnectError::Tls { reason, .. } if reason.contains("does not support SSL")), "{classified:?}");
}

fn options(vars: &[(&str, &str)]) -> ConnectOptions {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ConnectOptions {
        env: Box::new(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
        os_user: "osuser".into(),
        default_socket_dir: None,
        from_fields: false,
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
    let e = connect("host=/nonexistent/pgstage port=5999 user=u dbname=d sslmode=verify-full", &options(&[])).await.unwrap_err();
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
