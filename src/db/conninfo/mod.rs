//! Connection target resolution: turns what the operator typed (a libpq keyword/value
//! string or a `postgres://` URL), the PG* environment and the password file into one
//! resolved [`ConnInfo`], following libpq's rules (tokio-postgres reads none of these).
//! Nothing in this module ever prints a password: `Secret`, `Debug`, `redacted()` and
//! every error message show `********` or `<hidden>` instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// libpq's compiled-in default port.
pub const DEFAULT_PORT: u16 = 5432;
const MASK: &str = "********";
const HIDDEN: &str = "<hidden>";
const KEYWORDS: &str = "host, hostaddr, port, dbname, user, password, passfile, sslmode, sslrootcert, \
                        sslcert, sslkey, connect_timeout, application_name, options, target_session_attrs";
/// Environment variable -> keyword, in the order libpq consults them.
const ENV_VARS: &[(&str, &str)] = &[
    ("PGHOSTADDR", "hostaddr"),
    ("PGHOST", "host"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGAPPNAME", "application_name"),
    ("PGOPTIONS", "options"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
];
const SESSION_ATTRS: &[&str] = &["any", "read-write", "read-only", "primary", "standby", "prefer-standby"];

/// A password. `Debug` and `Display` print `********`; use [`Secret::expose`] to get the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}
impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}
impl FromStr for SslMode {
    type Err = ConnInfoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(ConnInfoError::invalid(
                    "sslmode",
                    s,
                    "one of disable, allow, prefer, require, verify-ca, verify-full",
                ));
            }
        })
    }
}
impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnInfoError {
    InvalidUrl {
        reason: String,
    },
    UnknownKeyword(String),
    /// `value` is `<hidden>` whenever `keyword` is a password.
    InvalidValue {
        keyword: String,
        value: String,
        expected: String,
    },
    /// Character position (0-based) of the opening quote.
    UnterminatedQuote {
        position: usize,
    },
    /// Malformed keyword/value string (e.g. a word without `=`).
    Syntax {
        reason: String,
    },
    ServiceUnsupported,
    PassfileRead {
        path: PathBuf,
        reason: String,
    },
}

fn is_secret_keyword(keyword: &str) -> bool {
    keyword.eq_ignore_ascii_case("password") || keyword.eq_ignore_ascii_case("PGPASSWORD")
}

impl ConnInfoError {
    fn invalid(keyword: &str, value: &str, expected: &str) -> Self {
        let value = if is_secret_keyword(keyword) { HIDDEN } else { value };
        ConnInfoError::InvalidValue { keyword: keyword.into(), value: value.into(), expected: expected.into() }
    }
    fn url(reason: impl Into<String>) -> Self {
        ConnInfoError::InvalidUrl { reason: reason.into() }
    }
}

impl fmt::Display for ConnInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnInfoError::InvalidUrl { reason } => write!(f, "invalid connection URL: {reason}"),
            ConnInfoError::UnknownKeyword(k) => write!(f, "unknown connection option \"{k}\" (supported: {KEYWORDS})"),
            ConnInfoError::InvalidValue { keyword, value, expected } => {
                let value = if is_secret_keyword(keyword) { HIDDEN } else { value.as_str() };
                write!(f, "invalid value \"{value}\" for {keyword}: expected {expected}")
            }
            ConnInfoError::UnterminatedQuote { position } => write!(
                f,
                "unterminated quoted value in connection string: the quote at position {} is never closed",
                position + 1
            ),
            ConnInfoError::Syntax { reason } => write!(f, "invalid connection string: {reason}"),
            ConnInfoError::ServiceUnsupported => f.write_str(
                "pg_service.conf is not supported (option \"service\" \
                or PGSERVICE); give host, port, dbname and user directly",
            ),
            ConnInfoError::PassfileRead { path, reason } => {
                write!(f, "could not read password file \"{}\": {reason}", path.display())
            }
        }
    }
}
impl std::error::Error for ConnInfoError {}

/// Outcome of a password-file lookup. The `Ignored*` cases deserve a warning, as libpq prints one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassfileLookup {
    Found(Secret),
    NotFound,
    IgnoredInsecurePermissions,
    IgnoredNotRegularFile,
}

/// One connection target. Empty `hosts`/`ports` and `None` mean "not given"; an empty entry
/// inside `hosts` means the default host. A host starting with '/' is a unix socket directory.
#[derive(Clone, Debug, Default)]
pub struct ConnInfo {
    pub hosts: Vec<String>,
    pub ports: Vec<u16>,
    pub dbname: Option<String>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    pub application_name: Option<String>,
    pub passfile: Option<PathBuf>,
    pub options: Option<String>,
    pub target_session_attrs: Option<String>,
    /// Keywords given explicitly (string, URL or environment), so that `host=` or
    /// `sslmode=prefer` still count as set.
    given: Vec<&'static str>,
}

impl FromStr for ConnInfo {
    type Err = ConnInfoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

fn non_empty(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

impl ConnInfo {
    /// Sets one libpq keyword (later calls win, as in libpq). Also usable for CLI flags.
    pub fn set(&mut self, keyword: &str, value: &str) -> Result<(), ConnInfoError> {
        let canonical: &'static str = match keyword {
            "host" | "hostaddr" => {
                self.hosts = if value.is_empty() { vec![] } else { value.split(',').map(String::from).collect() };
                "host"
            }
            "port" => {
                self.ports = parse_ports(value)?;
                "port"
            }
            "dbname" => {
                self.dbname = non_empty(value);
                "dbname"
            }
            "user" => {
                self.user = non_empty(value);
                "user"
            }
            "password" => {
                self.password = non_empty(value).map(Secret);
                "password"
            }
            "passfile" => {
                self.passfile = non_empty(value).map(PathBuf::from);
                "passfile"
            }
            "sslmode" => {
                self.sslmode = value.parse()?;
                "sslmode"
            }
            "sslrootcert" => {
                self.sslrootcert = non_empty(value).map(PathBuf::from);
                "sslrootcert"
            }
            "sslcert" => {
                self.sslcert = non_empty(value).map(PathBuf::from);
                "sslcert"
            }
            "sslkey" => {
                self.sslkey = non_empty(value).map(PathBuf::from);
                "sslkey"
            }
            "connect_timeout" => {
                self.connect_timeout = parse_timeout(value)?;
                "connect_timeout"
            }
            "application_name" => {
                self.application_name = non_empty(value);
                "application_name"
            }
            "options" => {
                self.options = non_empty(value);
                "options"
            }
            "target_session_attrs" => {
                if !value.is_empty() && !SESSION_ATTRS.contains(&value) {
                    return Err(ConnInfoError::invalid(keyword, value, &SESSION_ATTRS.join(", ")));
                }
                self.target_session_attrs = non_empty(value);
                "target_session_attrs"
            }
            "service" => return Err(ConnInfoError::ServiceUnsupported),
            other => return Err(ConnInfoError::UnknownKeyword(other.to_string())),
        };
        if !self.given.contains(&canonical) {
            self.given.push(canonical);
        }
        Ok(())
    }

    /// True when sslmode came from the connection string or PGSSLMODE rather than the default.
    pub fn sslmode_was_given(&self) -> bool {
        self.given.contains(&"sslmode")
    }

    fn is_unset(&self, keyword: &str) -> bool {
        let keyword = if keyword == "hostaddr" { "host" } else { keyword };
        if self.given.contains(&keyword) {
            return false;
        }
        match keyword {
            "host" => self.hosts.is_empty(),
            "port" => self.ports.is_empty(),
            "dbname" => self.dbname.is_none(),
            "user" => self.user.is_none(),
            "password" => self.password.is_none(),
            "passfile" => self.passfile.is_none(),
            "sslrootcert" => self.sslrootcert.is_none(),
            "sslcert" => self.sslcert.is_none(),
            "sslkey" => self.sslkey.is_none(),
            "connect_timeout" => self.connect_timeout.is_none(),
            "application_name" => self.application_name.is_none(),
            "options" => self.options.is_none(),
            "target_session_attrs" => self.target_session_attrs.is_none(),
            _ => true, // sslmode: only `given` tells
        }
    }

    /// Fills fields not given explicitly from the PG* variables (empty values are ignored).
    /// PGHOSTADDR is consulted before PGHOST and, like `hostaddr`, stands in for the host.
    /// PGSERVICE is refused, since libpq would honour it and we cannot.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConnInfoError> {
        if env("PGSERVICE").is_some_and(|v| !v.is_empty()) {
            return Err(ConnInfoError::ServiceUnsupported);
        }
        for &(var, keyword) in ENV_VARS {
            if !self.is_unset(keyword) {
                continue;
            }
            let Some(value) = env(var).filter(|v| !v.is_empty()) else { continue };
            self.set(keyword, &value).map_err(|e| match e {
                ConnInfoError::InvalidValue { value, expected, .. } => ConnInfoError::invalid(var, &value, &expected),
                other => other,
            })?;
        }
        Ok(())
    }

    /// libpq 16's rule for `sslrootcert=system`: the system's trusted roots vouch for any name,
    /// so the host name must be checked too. sslmode defaults to verify-full then, and any
    /// other sslmode given is an error.
    pub fn apply_system_roots_rule(&mut self) -> Result<(), ConnInfoError> {
        if self.sslrootcert.as_deref() != Some(Path::new("system")) {
            return Ok(());
        }
        if !self.sslmode_was_given() {
            self.sslmode = SslMode::VerifyFull;
        } else if self.sslmode != SslMode::VerifyFull {
            return Err(ConnInfoError::invalid(
                "sslmode",
                self.sslmode.as_str(),
                "verify-full with sslrootcert=system (as libpq 16)",
            ));
        }
        Ok(())
    }

    /// libpq's last-resort defaults: host = `default_socket_dir` or "localhost" (also for empty
    /// entries of a host list), port 5432, user = OS user, dbname = user.
    pub fn resolved_defaults(&mut self, os_user: &str, default_socket_dir: Option<&Path>) {
        let default_host = default_socket_dir.map_or_else(|| "localhost".to_string(), |p| p.display().to_string());
        if self.hosts.is_empty() {
            self.hosts.push(String::new());
        }
        for h in self.hosts.iter_mut().filter(|h| h.is_empty()) {
            *h = default_host.clone();
        }
        if self.ports.is_empty() {
            self.ports.push(DEFAULT_PORT);
        }
        if self.user.is_none() {
            self.user = non_empty(os_user);
        }
        if self.dbname.is_none() {
            self.dbname = self.user.clone();
        }
    }

    /// (host, port) pairs to try in order: one port for all hosts or one per host, as libpq.
    /// Call after `resolved_defaults`; an unset port list means 5432.
    pub fn targets(&self) -> Result<Vec<(String, u16)>, ConnInfoError> {
        let hosts = if self.hosts.is_empty() { vec![String::new()] } else { self.hosts.clone() };
        match self.ports.len() {
            0 => Ok(hosts.into_iter().map(|h| (h, DEFAULT_PORT)).collect()),
            1 => Ok(hosts.into_iter().map(|h| (h, self.ports[0])).collect()),
            n if n == hosts.len() => Ok(hosts.into_iter().zip(self.ports.iter().copied()).collect()),
            _ => Err(ConnInfoError::invalid(
                "port",
                &join_ports(&self.ports),
                &format!("one port, or one port per host ({} hosts given)", hosts.len()),
            )),
        }
    }

    /// Password file to consult: `passfile`/PGPASSFILE if given, else the per-user default.
    pub fn effective_passfile(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        self.passfile.clone().or_else(|| default_passfile(env))
    }

    /// A libpq keyword/value string of the effective values, for logs and reports.
    /// The password appears only as `password=********`; the result parses back with [`parse`].
    pub fn redacted(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push(format!("{k}={}", quote(&v)))
            }
        };
        add("host", (!self.hosts.is_empty()).then(|| self.hosts.join(",")));
        add("port", (!self.ports.is_empty()).then(|| join_ports(&self.ports)));
        add("dbname", self.dbname.clone());
        add("user", self.user.clone());
        add("password", self.password.as_ref().map(|_| MASK.to_string()));
        add("passfile", self.passfile.as_ref().map(|p| p.display().to_string()));
        add("sslmode", Some(self.sslmode.as_str().to_string()));
        add("sslrootcert", self.sslrootcert.as_ref().map(|p| p.display().to_string()));
        add("sslcert", self.sslcert.as_ref().map(|p| p.display().to_string()));
        add("sslkey", self.sslkey.as_ref().map(|p| p.display().to_string()));
        add("connect_timeout", self.connect_timeout.map(|d| d.as_secs().to_string()));
        add("application_name", self.application_name.clone());
        add("options", self.options.clone());
        add("target_session_attrs", self.target_session_attrs.clone());
        out.join(" ")
    }

    /// "user@host:port,host2:port2/dbname" (parts left out when unknown; IPv6 in brackets).
    pub fn describe_target(&self) -> String {
        let hosts = if self.hosts.is_empty() { vec![String::new()] } else { self.hosts.clone() };
        let parts: Vec<String> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if h.is_empty() {
                    "(default)".to_string()
                } else if h.contains(':') && !h.starts_with('/') {
                    format!("[{h}]")
                } else {
                    h.clone()
                };
                let port = if self.ports.len() == 1 { Some(self.ports[0]) } else { self.ports.get(i).copied() };
                port.map_or(h.clone(), |p| format!("{h}:{p}"))
            })
            .collect();
        let user = self.user.as_ref().map_or(String::new(), |u| format!("{u}@"));
        let db = self.dbname.as_ref().map_or(String::new(), |d| format!("/{d}"));
        format!("{user}{}{db}", parts.join(","))
    }
}

fn join_ports(ports: &[u16]) -> String {
    ports.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
}

fn quote(v: &str) -> String {
    if !v.is_empty() && !v.chars().any(|c| c.is_whitespace() || c == '\'' || c == '\\') {
        return v.to_string();
    }
    let mut s = String::from("'");
    for c in v.chars() {
        if c == '\'' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

fn parse_port(p: &str) -> Result<u16, ConnInfoError> {
    p.trim()
        .parse::<u16>()
        .ok()
        .filter(|&n| n != 0)
        .ok_or_else(|| ConnInfoError::invalid("port", p, "a port number between 1 and 65535"))
}

/// "5432,,5433" -> [5432, 5432, 5433]: empty entries mean the default port, as in libpq.
fn parse_ports(value: &str) -> Result<Vec<u16>, ConnInfoError> {
    if value.is_empty() {
        return Ok(vec![]);
    }
    value.split(',').map(|p| if p.trim().is_empty() { Ok(DEFAULT_PORT) } else { parse_port(p) }).collect()
}

/// libpq: zero or negative waits forever, and the minimum is 2 seconds.
fn parse_timeout(value: &str) -> Result<Option<Duration>, ConnInfoError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let n: i64 =
        value.trim().parse().map_err(|_| ConnInfoError::invalid("connect_timeout", value, "a whole number of seconds"))?;
    Ok((n > 0).then(|| Duration::from_secs(n.max(2) as u64)))
}

/// Parses a libpq keyword/value string or a `postgres://` / `postgresql://` URL.
pub fn parse(input: &str) -> Result<ConnInfo, ConnInfoError> {
    let input = input.trim_start();
    let first_token = input.split(|c: char| c == '=' || c.is_whitespace()).next().unwrap_or("");
    if let Some((scheme, _)) = first_token.split_once("://") {
        if !scheme.eq_ignore_ascii_case("postgres") && !scheme.eq_ignore_ascii_case("postgresql") {
            return Err(ConnInfoError::url(format!("unsupported scheme \"{scheme}\" (use postgres:// or postgresql://)")));
        }
        return parse_url(&input[scheme.len() + 3..]);
    }
    parse_keyword_value(input)
}

fn parse_keyword_value(input: &str) -> Result<ConnInfo, ConnInfoError> {
    let chars: Vec<char> = input.chars().collect();
    let (n, mut i) = (chars.len(), 0);
    let mut ci = ConnInfo::default();
    let mut after_password = false;
    let skip_ws = |i: &mut usize| {
        while *i < n && chars[*i].is_whitespace() {
            *i += 1
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= n {
            break;
        }
        let start = i;
        while i < n && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let keyword: String = chars[start..i].iter().collect();
        skip_ws(&mut i);
        if i >= n || chars[i] != '=' {
            // A stray word right after the password is most likely the rest of an unquoted password.
            return Err(ConnInfoError::Syntax {
                reason: if after_password {
                    "missing \"=\" after the word following the password (quote values containing spaces: password='...')".into()
                } else {
                    format!("missing \"=\" after \"{keyword}\"")
                },
            });
        }
        if keyword.is_empty() {
            return Err(ConnInfoError::Syntax { reason: format!("\"=\" without a keyword at position {}", i + 1) });
        }
        i += 1;
        skip_ws(&mut i);
        let mut value = String::new();
        let quoted = i < n && chars[i] == '\'';
        let open = i;
        if quoted {
            i += 1;
        }
        loop {
            if i >= n {
                if quoted {
                    return Err(ConnInfoError::UnterminatedQuote { position: open });
                }
                break;
            }
            match chars[i] {
                '\\' => {
                    i += 1;
                    if i < n {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
                '\'' if quoted => {
                    i += 1;
                    break;
                }
                c if c.is_whitespace() && !quoted => break,
                c => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        match ci.set(&keyword, &value) {
            Err(ConnInfoError::UnknownKeyword(_)) if after_password => {
                return Err(ConnInfoError::Syntax {
                    reason: "unknown option right after the password (quote values containing spaces: password='...')".into(),
                });
            }
            r => r?,
        }
        after_password = keyword == "password";
    }
    Ok(ci)
}

/// Decodes %XX sequences. Errors name only the URL part, never its content.
fn percent_decode(s: &str, part: &str) -> Result<String, ConnInfoError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap());
        match hex {
            Some(0) => return Err(ConnInfoError::url(format!("%00 is not allowed in the {part}"))),
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                return Err(ConnInfoError::url(format!(
                    "invalid percent-encoding in the {part} (expected %XX with two hex digits)"
                )));
            }
        }
    }
    String::from_utf8(out).map_err(|_| ConnInfoError::url(format!("percent-encoded {part} is not valid UTF-8")))
}

/// `rest` is everything after "scheme://".
fn parse_url(rest: &str) -> Result<ConnInfo, ConnInfoError> {
    let mut ci = ConnInfo::default();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    // The last '@' before the query ends the user info, so an unencoded '/' in a password still works.
    let (userinfo, hostpath) = match main.rfind('@') {
        Some(at) => (Some(&main[..at]), &main[at + 1..]),
        None => (None, main),
    };
    if let Some(info) = userinfo {
        let (user, password) = match info.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (info, None),
        };
        ci.user = non_empty(&percent_decode(user, "user name")?);
        if let Some(p) = password {
            ci.password = non_empty(&percent_decode(p, "password")?).map(Secret);
        }
    }
    let (hostlist, path) = match hostpath.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (hostpath, None),
    };
    let mut hosts = Vec::new();
    let mut ports: Vec<Option<u16>> = Vec::new();
    for entry in hostlist.split(',') {
        let (host, port) = if let Some(inner) = entry.strip_prefix('[') {
            let close =
                inner.find(']').ok_or_else(|| ConnInfoError::url("unterminated '[' in host (write IPv6 addresses as [::1])"))?;
            let port = match &inner[close + 1..] {
                "" => None,
                after => Some(after.strip_prefix(':').ok_or_else(|| ConnInfoError::url("unexpected text after ']' in host"))?),
            };
            (&inner[..close], port)
        } else {
            match entry.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (entry, None),
            }
        };
        hosts.push(percent_decode(host, "host")?);
        ports.push(match port {
            Some(p) if !p.is_empty() => Some(parse_port(p)?),
            _ => None,
        });
    }
    // An empty host is not stored, so PGHOST still applies (libpq does the same).
    if hosts.len() > 1 || !hosts[0].is_empty() {
        ci.hosts = hosts;
    }
    if ports.iter().any(Option::is_some) {
        ci.ports = ports.into_iter().map(|p| p.unwrap_or(DEFAULT_PORT)).collect();
    }
    if let Some(db) = path {
        ci.dbname = non_empty(&percent_decode(db, "database name")?);
    }
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) =
            pair.split_once('=').ok_or_else(|| ConnInfoError::url("query parameter without a value (expected name=value)"))?;
        let key = percent_decode(k, "query parameter name")?;
        let value = percent_decode(v, &format!("value of query parameter \"{key}\""))?;
        if key == "ssl" {
            // libpq accepts JDBC's ssl=true as sslmode=require.
            if value != "true" {
                return Err(ConnInfoError::invalid("ssl", &value, "true"));
            }
            ci.set("sslmode", "require")?;
        } else {
            ci.set(&key, &value)?;
        }
    }
    Ok(ci)
}

/// $PGPASSFILE, else ~/.pgpass (%APPDATA%\postgresql\pgpass.conf on Windows).
pub fn default_passfile(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = env("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if cfg!(windows) {
        env("APPDATA").filter(|p| !p.is_empty()).map(|d| Path::new(&d).join("postgresql").join("pgpass.conf"))
    } else {
        env("HOME").filter(|p| !p.is_empty()).map(|h| Path::new(&h).join(".pgpass"))
    }
}

struct PassField {
    text: String,
    wildcard: bool,
}

/// Splits `host:port:db:user:password` on unescaped ':' and removes `\` escapes.
/// A field is a wildcard only when it is exactly an unescaped `*`.
fn split_passfile_line(line: &str) -> Option<Vec<PassField>> {
    let (mut fields, mut text, mut raw) = (Vec::new(), String::new(), String::new());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                raw.push(c);
                let n = chars.next().unwrap_or('\\');
                raw.push(n);
                text.push(n);
            }
            ':' if fields.len() < 4 => {
                fields.push(PassField { wildcard: raw == "*", text: std::mem::take(&mut text) });
                raw.clear();
            }
            ':' => break, // libpq ends the password at the next unescaped ':'
            c => {
                raw.push(c);
                text.push(c);
            }
        }
    }
    if fields.len() < 4 {
        return None;
    }
    fields.push(PassField { text, wildcard: false });
    Some(fields)
}

/// Looks up a password in a libpq password file; the first matching line wins.
/// An empty host or a unix socket directory also matches the entry "localhost" (libpq does
/// this only for its compiled-in socket directory; we do not know that one, so any socket
/// directory qualifies, as does an entry spelling out the directory).
/// Like libpq, the file is ignored when it is not a plain file or, on unix, when any
/// group/other permission bit is set.
pub fn password_from_passfile(
    path: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Result<PassfileLookup, ConnInfoError> {
    let read_err = |e: &dyn fmt::Display| ConnInfoError::PassfileRead { path: path.to_path_buf(), reason: e.to_string() };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PassfileLookup::NotFound),
        Err(e) => return Err(read_err(&e)),
    };
    if !meta.is_file() {
        return Ok(PassfileLookup::IgnoredNotRegularFile);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Ok(PassfileLookup::IgnoredInsecurePermissions);
        }
    }
    let bytes = std::fs::read(path).map_err(|e| read_err(&e))?;
    let text = String::from_utf8(bytes).map_err(|_| read_err(&"the file is not valid UTF-8"))?;
    let port = port.to_string();
    let local = host.is_empty() || host.starts_with('/');
    let matches = |f: &PassField, v: &str| f.wildcard || f.text == v;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(f) = split_passfile_line(line) else { continue };
        let host_ok = matches(&f[0], host) || (local && f[0].text == "localhost");
        if host_ok && matches(&f[1], &port) && matches(&f[2], dbname) && matches(&f[3], user) {
            return Ok(PassfileLookup::Found(Secret(f.into_iter().nth(4).unwrap().text)));
        }
    }
    Ok(PassfileLookup::NotFound)
}

#[cfg(test)]
mod tests;
