//! TLS as libpq does it: which mode to try in which order, the rustls configuration, and
//! the certificate checks (none, issuer only, issuer and host name).

use super::*;

/// In which order plain and TLS connections are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    Plain,
    PlainThenTls,
    TlsThenPlain,
    TlsOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Roots {
    File(PathBuf),
    System,
}

/// What is checked of the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Check {
    Nothing,
    Issuer(Roots),
    IssuerAndName(Roots),
}

impl Check {
    pub(super) fn describe(&self) -> String {
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
pub(super) struct TlsChoice {
    pub(super) order: Order,
    pub(super) check: Check,
}

/// libpq's rules (see the module doc). `rootcert` is `sslrootcert`; `default_root` is
/// `~/.postgresql/root.crt`; `exists` tells whether a file is there. Fails (with the reason) when
/// a verifying mode names a root certificate file that does not exist.
pub(super) fn choose_tls(
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
    // The verifying modes need roots to verify with: like libpq, no file is an error, and the
    // system's roots are used only when asked for (`sslrootcert=system`).
    let verifying = matches!(sslmode, SslMode::VerifyCa | SslMode::VerifyFull);
    if verifying && roots.is_none() {
        let what = match default_root {
            Some(p) => format!("the root certificate file {} does not exist", p.display()),
            None => "no root certificate file (HOME is not set, so there is no ~/.postgresql/root.crt)".to_owned(),
        };
        return Err(format!(
            "{what}: provide it (sslrootcert=FILE), use the system's trusted roots with sslrootcert=system, \
             or choose an sslmode that does not verify the server's certificate"
        ));
    }
    let check = match (sslmode, roots) {
        (_, None) => Check::Nothing,
        (SslMode::VerifyFull, Some(roots)) => Check::IssuerAndName(roots),
        (_, Some(roots)) => Check::Issuer(roots),
    };
    Ok(TlsChoice { order, check })
}

/// The TLS side of a connection attempt: the choice, and the connector built for it.
pub(super) struct Tls {
    pub(super) choice: TlsChoice,
    pub(super) connector: MakeRustlsConnect,
}

impl Tls {
    pub(super) fn prepare(ci: &ConnInfo, home: Option<&Path>) -> Result<Tls, String> {
        let dot = home.map(|h| h.join(".postgresql"));
        let default_root = dot.as_ref().map(|d| d.join("root.crt"));
        let choice = choose_tls(ci.sslmode, ci.sslrootcert.as_deref(), default_root.as_deref(), &|p| p.exists())?;
        let cert = ci.sslcert.clone().or_else(|| dot.as_ref().map(|d| d.join("postgresql.crt")));
        let key = ci.sslkey.clone().or_else(|| dot.as_ref().map(|d| d.join("postgresql.key")));
        let config = rustls_config(&choice.check, cert.as_deref(), key.as_deref())?;
        Ok(Tls { choice, connector: MakeRustlsConnect::new(config) })
    }
}

pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(super) fn rustls_config(check: &Check, cert: Option<&Path>, key: Option<&Path>) -> Result<rustls::ClientConfig, String> {
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

pub(super) fn webpki_verifier(roots: &Roots, provider: &Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, String> {
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
pub(super) fn client_certificate(
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
pub(super) struct AcceptAnyCertificate {
    pub(super) algorithms: WebPkiSupportedAlgorithms,
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
pub(super) struct IssuerOnly {
    pub(super) inner: Arc<WebPkiServerVerifier>,
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
