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
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k: &str| map.get(k).cloned()
    }
    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }
    fn pw(p: &Option<Secret>) -> Option<&str> {
        p.as_ref().map(Secret::expose)
    }
    fn err(input: &str) -> ConnInfoError {
        parse(input).expect_err(input)
    }

    #[test]
    fn empty_input_gives_nothing_set() {
        for input in ["", "   \t\n"] {
            let ci = parse(input).unwrap();
            assert!(ci.hosts.is_empty() && ci.ports.is_empty() && ci.user.is_none() && ci.dbname.is_none());
            assert_eq!(ci.sslmode, SslMode::Prefer);
            assert!(!ci.sslmode_was_given());
        }
    }

    #[test]
    fn keyword_value_basic() {
        let ci = parse(
            "host=db1 port=5433 dbname=app user=alice sslmode=verify-full sslrootcert=/etc/ca.pem \
                        sslcert=/c.crt sslkey=/c.key application_name=stage passfile=/p target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(ci.hosts, vec!["db1"]);
        assert_eq!(ci.ports, vec![5433]);
        assert_eq!((ci.dbname, ci.user), (s("app"), s("alice")));
        assert_eq!(ci.sslmode, SslMode::VerifyFull);
        assert_eq!(ci.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!((ci.sslcert, ci.sslkey), (Some("/c.crt".into()), Some("/c.key".into())));
        assert_eq!(ci.application_name, s("stage"));
        assert_eq!(ci.passfile, Some(PathBuf::from("/p")));
        assert_eq!(ci.target_session_attrs, s("read-write"));
    }

    #[test]
    fn keyword_value_quoting_and_escapes() {
        let ci = parse(r"password = 'a b\'c'  application_name='x\\y' options=-c\ search_path=s dbname=''").unwrap();
        assert_eq!(pw(&ci.password), Some("a b'c"));
        assert_eq!(ci.application_name, s(r"x\y"));
        assert_eq!(ci.options, s("-c search_path=s"));
        assert_eq!(ci.dbname, None);
        let ci = parse("user='bob'host=h").unwrap(); // libpq needs no space after a quoted value
        assert_eq!((ci.user, ci.hosts), (s("bob"), vec!["h".to_string()]));
    }

    #[test]
    fn keyword_value_multi_host_and_hostaddr() {
        let ci = parse("host=a,b,c port=5432,,5434").unwrap();
        assert_eq!(ci.hosts, vec!["a", "b", "c"]);
        assert_eq!(ci.ports, vec![5432, 5432, 5434]);
        assert_eq!(parse("hostaddr=10.0.0.1").unwrap().hosts, vec!["10.0.0.1"]);
    }

    #[test]
    fn keyword_value_errors() {
        assert_eq!(err("host=x hots=y"), ConnInfoError::UnknownKeyword("hots".into()));
        assert!(err("hots=y").to_string().contains("\"hots\""));
        for bad in ["abc", "0", "70000", "-1"] {
            assert_eq!(
                err(&format!("port={bad}")),
                ConnInfoError::InvalidValue {
                    keyword: "port".into(),
                    value: bad.into(),
                    expected: "a port number between 1 and 65535".into()
                }
            );
        }
        assert!(matches!(err("sslmode=verify_full"), ConnInfoError::InvalidValue { ref keyword, ref value, .. }
            if keyword == "sslmode" && value == "verify_full"));
        assert_eq!(err("service=prod"), ConnInfoError::ServiceUnsupported);
        assert!(err("service=prod").to_string().contains("pg_service.conf is not supported"));
        assert_eq!(err("host=a password='abc"), ConnInfoError::UnterminatedQuote { position: 16 });
        assert_eq!(err("host"), ConnInfoError::Syntax { reason: "missing \"=\" after \"host\"".into() });
        assert!(matches!(err("=x"), ConnInfoError::Syntax { .. }));
        assert!(matches!(err("target_session_attrs=master"), ConnInfoError::InvalidValue { .. }));
        assert!(matches!(err("connect_timeout=soon"), ConnInfoError::InvalidValue { .. }));
    }

    #[test]
    fn sslmode_names_round_trip() {
        for name in ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] {
            assert_eq!(name.parse::<SslMode>().unwrap().as_str(), name);
        }
        assert_eq!(SslMode::default(), SslMode::Prefer);
        assert!("Require".parse::<SslMode>().is_err());
    }

    #[test]
    fn connect_timeout_rules() {
        let t = |v: &str| parse(&format!("connect_timeout={v}")).unwrap().connect_timeout;
        assert_eq!(t("10"), Some(Duration::from_secs(10)));
        assert_eq!(t("1"), Some(Duration::from_secs(2)));
        assert_eq!(t("0"), None);
        assert_eq!(t("-5"), None);
    }

    #[test]
    fn url_basic() {
        let ci = parse("postgres://alice:s3cret@db.example.com:6543/app?sslmode=require&application_name=stage").unwrap();
        assert_eq!((ci.hosts, ci.ports), (vec!["db.example.com".to_string()], vec![6543]));
        assert_eq!((ci.user.as_deref(), ci.dbname.as_deref()), (Some("alice"), Some("app")));
        assert_eq!(ci.password.as_ref().map(Secret::expose), Some("s3cret"));
        assert_eq!((ci.sslmode, ci.application_name), (SslMode::Require, s("stage")));
        let ci = parse("postgresql://db/app").unwrap();
        assert_eq!((ci.hosts, ci.ports, ci.user, ci.dbname), (vec!["db".to_string()], vec![], None, s("app")));
        let ci = parse("postgresql://").unwrap();
        assert!(ci.hosts.is_empty() && ci.dbname.is_none());
        assert_eq!(parse("postgres://h?ssl=true").unwrap().sslmode, SslMode::Require);
    }

    #[test]
    fn url_percent_decoding() {
        let ci =
            parse("postgresql://al%40ice:p%40ss%3Aw%2Fd@h/my%20db?options=-c%20x%3D1&application_name=%C3%A9t%C3%A9").unwrap();
        assert_eq!((ci.user.as_deref(), pw(&ci.password)), (Some("al@ice"), Some("p@ss:w/d")));
        assert_eq!(ci.dbname, s("my db"));
        assert_eq!(ci.options, s("-c x=1"));
        assert_eq!(ci.application_name, s("été"));
        assert_eq!(parse("postgres://%2Ftmp%2Fpg/app").unwrap().hosts, vec!["/tmp/pg"]);
    }

    #[test]
    fn url_ipv6_multi_host_and_socket() {
        let ci = parse("postgres://[::1]:5433,[2001:db8::2],h3:5435/db").unwrap();
        assert_eq!(ci.hosts, vec!["::1", "2001:db8::2", "h3"]);
        assert_eq!(ci.ports, vec![5433, 5432, 5435]);
        let ci = parse("postgres:///app?host=/var/run/postgresql&port=5444").unwrap();
        assert_eq!((ci.hosts, ci.ports, ci.dbname), (vec!["/var/run/postgresql".to_string()], vec![5444], s("app")));
        let ci = parse("postgres://:5433/db").unwrap();
        assert_eq!((ci.hosts.len(), ci.ports), (0, vec![5433]));
        let ci = parse("postgres://bob@/db").unwrap();
        assert_eq!((ci.hosts.len(), ci.user), (0, s("bob")));
        let ci = parse("postgres://u:pa/ss@h/db").unwrap(); // unencoded '/' in the password
        assert_eq!((pw(&ci.password), ci.hosts, ci.dbname), (Some("pa/ss"), vec!["h".to_string()], s("db")));
    }

    #[test]
    fn url_errors() {
        assert_eq!(err("postgres://h/db?sslmod=require"), ConnInfoError::UnknownKeyword("sslmod".into()));
        assert!(matches!(err("postgres://[::1/db"), ConnInfoError::InvalidUrl { .. }));
        assert!(matches!(err("postgres://[::1]x/db"), ConnInfoError::InvalidUrl { .. }));
        assert!(matches!(err("postgres://h/db?sslmode"), ConnInfoError::InvalidUrl { .. }));
        assert!(matches!(err("postgres://h/db?service=x"), ConnInfoError::ServiceUnsupported));
        assert!(matches!(err("postgres://h/d%zzb"), ConnInfoError::InvalidUrl { .. }));
        assert!(matches!(err("postgres://h/d%00b"), ConnInfoError::InvalidUrl { .. }));
        assert!(matches!(err("postgres://h/d%FFb"), ConnInfoError::InvalidUrl { .. }));
    }

    #[test]
    fn errors_never_echo_the_password() {
        let secret = "hunter2secret";
        let cases = [
            format!("postgres://bob:{secret}@db:54x2/app"),
            format!("postgres://bob:{secret}%zz@db/app"),
            format!("postgres://bob:{secret}%C3@db/app"),
            format!("mysql://bob:{secret}@db/app"),
            format!("postgres://bob:{secret}@[::1/app"),
            format!("postgres://bob:{secret}@db/app?bogus=1"),
            format!("host=db password='{secret}"),
            format!("password={secret} more words"),
            format!("password={secret} more=words"),
        ];
        for input in &cases {
            let e = err(input);
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains(secret), "{input} -> {shown}");
                assert!(!shown.contains("more"), "{input} -> {shown}");
            }
        }
        assert!(matches!(err(&cases[0]), ConnInfoError::InvalidValue { ref value, .. } if value == "54x2"));
        let e = ConnInfoError::InvalidValue { keyword: "password".into(), value: secret.into(), expected: "x".into() };
        assert!(!e.to_string().contains(secret) && e.to_string().contains("<hidden>"));
        assert!(!ConnInfoError::invalid("PGPASSWORD", secret, "x").to_string().contains(secret));
    }

    #[test]
    fn secrets_are_redacted_everywhere() {
        let ci = parse("postgres://bob:hunter2secret@db/app").unwrap();
        for shown in [
            format!("{ci:?}"),
            ci.redacted(),
            ci.describe_target(),
            format!("{}", ci.password.as_ref().unwrap()),
            format!("{:?}", ci.password),
        ] {
            assert!(!shown.contains("hunter2secret"), "{shown}");
        }
        assert!(format!("{ci:?}").contains("********"));
        assert_eq!(ci.password.unwrap().expose(), "hunter2secret");
    }

    #[test]
    fn redacted_string_is_exact_and_parses_back() {
        let ci = parse(
            "host=a,b port=5432,5433 dbname='my db' user=o\\'neil password=pw sslmode=require \
                        connect_timeout=7 application_name=stage options='-c x=1'",
        )
        .unwrap();
        let r = ci.redacted();
        assert_eq!(
            r,
            "host=a,b port=5432,5433 dbname='my db' user='o\\'neil' password=******** sslmode=require \
                       connect_timeout=7 application_name=stage options='-c x=1'"
        );
        let back = parse(&r).unwrap();
        assert_eq!((back.hosts, back.ports, back.dbname, back.user), (ci.hosts, ci.ports, ci.dbname, ci.user));
        assert_eq!(pw(&back.password), Some("********"));
        assert_eq!(parse("").unwrap().redacted(), "sslmode=prefer");
    }

    #[test]
    fn describe_target_formats() {
        let ci = parse("postgres://alice:pw@db1,db2:5433/app").unwrap();
        assert_eq!(ci.describe_target(), "alice@db1:5432,db2:5433/app");
        assert_eq!(parse("host=::1 port=6000 dbname=x").unwrap().describe_target(), "[::1]:6000/x");
        assert_eq!(parse("").unwrap().describe_target(), "(default)");
        let mut ci = parse("user=bob").unwrap();
        ci.resolved_defaults("os", Some(Path::new("/var/run/postgresql")));
        assert_eq!(ci.describe_target(), "bob@/var/run/postgresql:5432/bob");
    }

    #[test]
    fn env_fills_only_unset_fields() {
        let env = env_of(&[
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGSSLMODE", "require"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGCONNECT_TIMEOUT", "9"),
            ("PGAPPNAME", ""),
        ]);
        let mut ci = parse("host=explicit sslmode=disable dbname=mine application_name=app").unwrap();
        ci.apply_env(&env).unwrap();
        assert_eq!((ci.hosts, ci.ports), (vec!["explicit".to_string()], vec![6000]));
        assert_eq!((ci.user.as_deref(), ci.dbname.as_deref()), (Some("envuser"), Some("mine")));
        assert_eq!((ci.sslmode, pw(&ci.password)), (SslMode::Disable, Some("envpw")));
        assert_eq!((ci.connect_timeout, ci.application_name), (Some(Duration::from_secs(9)), s("app")));

        // sslmode=prefer given explicitly still beats PGSSLMODE; not given, the env wins.
        let mut ci = parse("sslmode=prefer").unwrap();
        ci.apply_env(&env).unwrap();
        assert_eq!(ci.sslmode, SslMode::Prefer);
        let mut ci = parse("").unwrap();
        ci.apply_env(&env_of(&[("PGSSLMODE", "verify-full"), ("PGHOSTADDR", "10.1.1.1"), ("PGHOST", "h")])).unwrap();
        assert_eq!((ci.sslmode, ci.sslmode_was_given()), (SslMode::VerifyFull, true));
        assert_eq!(ci.hosts, vec!["10.1.1.1"]);
        let mut ci = parse("postgres:///db").unwrap(); // an empty URL host leaves PGHOST in charge
        ci.apply_env(&env).unwrap();
        assert_eq!(ci.hosts, vec!["envhost"]);
        // Explicit empty host (libpq: default host) is not overridden either.
        let mut ci = parse("host=''").unwrap();
        ci.apply_env(&env).unwrap();
        assert!(ci.hosts.is_empty());
    }

    #[test]
    fn env_errors() {
        let mut ci = ConnInfo::default();
        assert_eq!(
            ci.apply_env(&env_of(&[("PGPORT", "abc")])),
            Err(ConnInfoError::InvalidValue {
                keyword: "PGPORT".into(),
                value: "abc".into(),
                expected: "a port number between 1 and 65535".into()
            })
        );
        assert_eq!(ci.apply_env(&env_of(&[("PGSERVICE", "prod")])), Err(ConnInfoError::ServiceUnsupported));
    }

    #[test]
    fn defaults_and_targets() {
        let mut ci = parse("").unwrap();
        ci.resolved_defaults("osuser", None);
        assert_eq!((ci.hosts.clone(), ci.ports.clone()), (vec!["localhost".to_string()], vec![5432]));
        assert_eq!((ci.user.as_deref(), ci.dbname.as_deref()), (Some("osuser"), Some("osuser")));
        let mut ci = parse("host=a,,b user=u dbname=d").unwrap();
        ci.resolved_defaults("osuser", Some(Path::new("/tmp")));
        assert_eq!(ci.hosts, vec!["a", "/tmp", "b"]);
        assert_eq!((ci.user.as_deref(), ci.dbname.as_deref()), (Some("u"), Some("d")));
        assert_eq!(ci.targets().unwrap(), vec![("a".into(), 5432), ("/tmp".into(), 5432), ("b".into(), 5432)]);
        let ci = parse("host=a,b port=1,2").unwrap();
        assert_eq!(ci.targets().unwrap(), vec![("a".to_string(), 1), ("b".to_string(), 2)]);
        assert!(matches!(parse("host=a,b,c port=1,2").unwrap().targets(), Err(ConnInfoError::InvalidValue { .. })));
    }

    fn temp_file(contents: &str, mode: u32) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pgstage-conninfo-{}-{}.pgpass",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&path, contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let _ = mode;
        path
    }
    fn found(r: Result<PassfileLookup, ConnInfoError>) -> Option<String> {
        match r.unwrap() {
            PassfileLookup::Found(s) => Some(s.expose().to_string()),
            _ => None,
        }
    }

    #[test]
    fn passfile_matching() {
        let path = temp_file(
            "#db1:5432:app:alice:commented-out\n\
                              db1:5432:app:alice:first\n\
                              db1:5432:app:alice:second\n\
                              db1:*:*:bob:bobpw\r\n\
                              weird\\:host:5432:*:carol:pa\\:ss\\\\word\n\
                              localhost:5432:*:dave:localpw\n\
                              \\*:5432:*:erin:literalstar\n\
                              short:line\n\
                              *:*:*:*:fallback:ignored-after-colon\n",
            0o600,
        );
        let look = |h: &str, p: u16, d: &str, u: &str| found(password_from_passfile(&path, h, p, d, u));
        assert_eq!(look("db1", 5432, "app", "alice"), s("first"));
        assert_eq!(look("db1", 6000, "other", "bob"), s("bobpw"));
        assert_eq!(look("weird:host", 5432, "x", "carol"), s(r"pa:ss\word"));
        assert_eq!(look("/var/run/postgresql", 5432, "x", "dave"), s("localpw"));
        assert_eq!(look("", 5432, "x", "dave"), s("localpw"));
        assert_eq!(look("db9", 5432, "x", "dave"), s("fallback"));
        assert_eq!(look("*", 5432, "x", "erin"), s("literalstar"));
        assert_eq!(look("db9", 5432, "x", "erin"), s("fallback"));
        assert_eq!(look("#db1", 5432, "app", "alice"), s("fallback")); // '#' lines are comments
        std::fs::remove_file(&path).unwrap();
        let none = temp_file("db1:5432:app:alice:pw\n", 0o600);
        assert_eq!(password_from_passfile(&none, "db2", 5432, "app", "alice").unwrap(), PassfileLookup::NotFound);
        std::fs::remove_file(&none).unwrap();
        assert_eq!(
            password_from_passfile(Path::new("/nonexistent/pgstage/.pgpass"), "h", 1, "d", "u").unwrap(),
            PassfileLookup::NotFound
        );
        assert_eq!(
            password_from_passfile(&std::env::temp_dir(), "h", 1, "d", "u").unwrap(),
            PassfileLookup::IgnoredNotRegularFile
        );
    }

    #[cfg(unix)]
    #[test]
    fn passfile_permissions() {
        let loose = temp_file("*:*:*:*:pw\n", 0o644);
        assert_eq!(password_from_passfile(&loose, "h", 5432, "d", "u").unwrap(), PassfileLookup::IgnoredInsecurePermissions);
        let group = temp_file("*:*:*:*:pw\n", 0o640);
        assert_eq!(password_from_passfile(&group, "h", 5432, "d", "u").unwrap(), PassfileLookup::IgnoredInsecurePermissions);
        let tight = temp_file("*:*:*:*:pw\n", 0o600);
        assert_eq!(password_from_passfile(&tight, "h", 5432, "d", "u").unwrap(), PassfileLookup::Found(Secret::new("pw")));
        for p in [loose, group, tight] {
            std::fs::remove_file(p).unwrap();
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn default_passfile_location() {
        assert_eq!(default_passfile(&env_of(&[("PGPASSFILE", "/x/pp"), ("HOME", "/home/a")])), Some("/x/pp".into()));
        assert_eq!(default_passfile(&env_of(&[("HOME", "/home/a")])), Some("/home/a/.pgpass".into()));
        assert_eq!(default_passfile(&env_of(&[])), None);
        let mut ci = parse("passfile=/mine").unwrap();
        assert_eq!(ci.effective_passfile(&env_of(&[("HOME", "/home/a")])), Some("/mine".into()));
        ci.passfile = None;
        assert_eq!(ci.effective_passfile(&env_of(&[("HOME", "/home/a")])), Some("/home/a/.pgpass".into()));
    }
}
