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
    let ci = parse("postgresql://al%40ice:p%40ss%3Aw%2Fd@h/my%20db?options=-c%20x%3D1&application_name=%C3%A9t%C3%A9").unwrap();
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
    let path =
        std::env::temp_dir().join(format!("pgstage-conninfo-{}-{}.pgpass", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
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
    assert_eq!(password_from_passfile(&std::env::temp_dir(), "h", 1, "d", "u").unwrap(), PassfileLookup::IgnoredNotRegularFile);
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

#[test]
fn sslrootcert_system_means_verify_full() {
    let rule = |input: &str, env: &[(&str, &str)]| {
        let mut ci = parse(input).unwrap();
        ci.apply_env(&env_of(env)).unwrap();
        ci.apply_system_roots_rule().map(|()| ci.sslmode)
    };
    assert_eq!(rule("host=db sslrootcert=system", &[]), Ok(SslMode::VerifyFull));
    assert_eq!(rule("host=db", &[("PGSSLROOTCERT", "system")]), Ok(SslMode::VerifyFull));
    assert_eq!(rule("host=db sslrootcert=system sslmode=verify-full", &[]), Ok(SslMode::VerifyFull));
    let e = rule("host=db sslrootcert=system sslmode=require", &[]).unwrap_err();
    assert!(e.to_string().contains("\"require\" for sslmode") && e.to_string().contains("sslrootcert=system"), "{e}");
    assert!(rule("host=db sslrootcert=system", &[("PGSSLMODE", "verify-ca")]).is_err());
    // Any other root certificate file changes nothing.
    assert_eq!(rule("host=db sslrootcert=/etc/ca.pem", &[]), Ok(SslMode::Prefer));
}
