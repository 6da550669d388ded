//! Reports (no database needed): golden files for every format, rendering in headless
//! Chromium, no secret in any format, failures named everywhere, escaping, atomic writes.
//!
//! The inputs are frozen run results in `tests/fixtures/report/` (see the README there):
//! `run_go.json` (the bundled plan on the sandbox: GO) and `run_failed_015.json` (the same
//! plan with a broken migration 015: FAILED, NO-GO). Their reports are compared with
//! `tests/fixtures/report/golden/*.{md,html,json,xml}`. After an intended change of a
//! report, rewrite the goldens with
//!
//! ```sh
//! PGSTAGE_BLESS=1 cargo test --test it report::
//! ```
//!
//! and review the diff (`git diff tests/fixtures/report/golden`) before committing it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pgstage::report::{self, Format, SignOff};
use pgstage::run_result::{CheckResult, MigrationStatus, Outcome, RunResult, Status};

use crate::support::path;

const FIXTURES: [&str; 2] = ["run_go", "run_failed_015"];

fn fixture(name: &str) -> RunResult {
    let file = path(&format!("tests/fixtures/report/{name}.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn blessing() -> bool {
    std::env::var("PGSTAGE_BLESS").is_ok_and(|v| v == "1")
}

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir =
            std::env::temp_dir().join(format!("pgstage-{what}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compare `actual` with the golden file (or rewrite it under `PGSTAGE_BLESS=1`).
fn check_golden(golden: &Path, actual: &str) -> Result<(), String> {
    if blessing() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(golden, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(golden)
        .map_err(|e| format!("{}: {e} (create it with PGSTAGE_BLESS=1 cargo test --test it report::)", golden.display()))?;
    if expected == actual {
        return Ok(());
    }
    let (exp, act): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let line = exp.iter().zip(&act).position(|(a, b)| a != b).unwrap_or(exp.len().min(act.len()));
    Err(format!(
        "{} differs from the rendered report at line {}:\n  golden:   {:?}\n  rendered: {:?}\n(golden {} lines, rendered {} lines; if the change is intended, run PGSTAGE_BLESS=1 cargo test --test it report:: and review the diff)",
        golden.display(),
        line + 1,
        exp.get(line).copied().unwrap_or("<end of file>"),
        act.get(line).copied().unwrap_or("<end of file>"),
        exp.len(),
        act.len()
    ))
}

#[test]
fn every_format_matches_its_golden_file() {
    let mut failures = Vec::new();
    for name in FIXTURES {
        let result = fixture(name);
        for format in Format::ALL {
            let golden = path(&format!("tests/fixtures/report/golden/{name}.{}", format.extension()));
            let rendered = report::render_with(&result, &[], format);
            if let Err(e) = check_golden(&golden, &rendered) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_fixtures_say_what_the_tests_rely_on() {
    let go = fixture("run_go");
    assert!(go.verdict.go && go.outcome == Outcome::Completed);
    assert_eq!(go.migrations.len(), 5);
    assert!(go.migrations.iter().all(|m| m.status == MigrationStatus::Applied));
    let failed = fixture("run_failed_015");
    assert!(!failed.verdict.go);
    assert!(matches!(&failed.outcome, Outcome::Failed { step, .. } if step.contains("015")));
    let statuses: Vec<_> = failed.migrations.iter().map(|m| m.status.clone()).collect();
    assert_eq!(
        statuses,
        [
            MigrationStatus::Applied,
            MigrationStatus::Applied,
            MigrationStatus::Failed,
            MigrationStatus::NotRun,
            MigrationStatus::NotRun
        ]
    );
}

#[test]
fn json_is_the_full_run_result_and_reads_back() {
    for name in FIXTURES {
        let result = fixture(name);
        let text = report::render_with(&result, &[], Format::Json);
        assert_eq!(text, report::json(&result));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["format_version"], pgstage::run_result::FORMAT_VERSION);
        assert!(value.get("signoff").is_none(), "no sign-off key without a sign-off");
        let back: RunResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, result, "{name}: JSON must round-trip");
    }
}

#[test]
fn sign_off_appears_in_markdown_html_and_json() {
    let result = fixture("run_go");
    let signoff = [
        SignOff {
            name: "Maria Nowak".into(),
            role: "Database Admin".into(),
            decision: String::new(),
            comment: "Times far below the plan: sandbox".into(),
        },
        SignOff { name: "Tom Berg".into(), role: "Backend Lead".into(), decision: String::new(), comment: String::new() },
    ];
    for format in [Format::Markdown, Format::Html, Format::Json] {
        let text = report::render_with(&result, &signoff, format);
        for s in &signoff {
            assert!(text.contains(&s.name) && text.contains(&s.role), "{format:?} lacks {s:?}");
        }
        assert!(text.contains("Times far below the plan: sandbox"), "{format:?}");
    }
    let json: serde_json::Value = serde_json::from_str(&report::render_with(&result, &signoff, Format::Json)).unwrap();
    assert_eq!(json["signoff"][0]["name"], "Maria Nowak");
    // Without a sign-off: blank lines to sign by hand, one per owner role of the manual items.
    let md = report::render(&result, Path::new("x.md")).unwrap();
    let sign = &md[md.find("## Sign-off").unwrap()..];
    assert!(sign.contains("| ________________________ | Database Admin |"), "{sign}");
    assert!(!sign.contains("Maria"));
}

#[test]
fn formats_come_from_the_extension() {
    let cases = [
        ("r.md", Some(Format::Markdown)),
        ("r.MD", Some(Format::Markdown)),
        ("r.html", Some(Format::Html)),
        ("r.htm", Some(Format::Html)),
        ("r.json", Some(Format::Json)),
        ("ci/junit.xml", Some(Format::Junit)),
        ("r.pdf", None),
        ("report", None),
    ];
    for (p, want) in cases {
        assert_eq!(Format::from_path(Path::new(p)), want, "{p}");
    }
    let err = report::render(&fixture("run_go"), Path::new("r.pdf")).unwrap_err().to_string();
    assert!(err.contains("r.pdf") && err.contains(".md") && err.contains(".xml"), "{err}");
}

#[test]
fn write_is_atomic_and_leaves_no_temporary_file() {
    let dir = TempDir::new("report-write");
    let result = fixture("run_failed_015");
    for format in Format::ALL {
        let file = dir.0.join(format!("report.{}", format.extension()));
        std::fs::write(&file, "an older report").unwrap();
        report::write(&result, &file).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), report::render_with(&result, &[], format));
    }
    let names: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 4, "only the four reports, no temporary file: {names:?}");
    // A directory that does not exist: an error naming the file, and nothing written.
    let missing = dir.0.join("no/such/dir/report.md");
    let err = report::write(&result, &missing).unwrap_err().to_string();
    assert!(err.contains("no/such/dir/report.md"), "{err}");
    // Writing onto a directory fails, and the temporary file is cleaned up.
    let target = dir.0.join("taken.md");
    std::fs::create_dir(&target).unwrap();
    assert!(report::write(&result, &target).is_err());
    let left: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Every format, as text.
fn all_formats(result: &RunResult) -> Vec<(Format, String)> {
    Format::ALL.iter().map(|&f| (f, report::render_with(result, &[], f))).collect()
}

/// HTML and XML escape quotes; undo the few references the renderers write.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[test]
fn a_failed_run_names_the_step_the_error_and_file_line_in_every_format() {
    let result = fixture("run_failed_015");
    for (format, text) in all_formats(&result) {
        let text = if format == Format::Json { text.replace("\\\"", "\"") } else { unescape(&text) };
        for needle in [
            "Migration 015 – Agent registry",
            "tests/fixtures/sql/015_broken.sql:56:49",
            "ERROR: column \"stauts\" does not exist (SQLSTATE 42703)",
        ] {
            assert!(text.contains(needle), "{format:?} report lacks {needle:?}");
        }
    }
    // The human formats say what was not reached, and that it is NO-GO.
    for format in [Format::Markdown, Format::Html] {
        let text = report::render_with(&result, &[], format);
        assert!(text.contains("Verdict: NO-GO"), "{format:?}");
        assert!(text.contains("Not reached: the run failed at Migration 015 – Agent registry."), "{format:?}");
        assert!(text.contains("Migration 016 was not run."), "{format:?}");
        assert!(text.contains("not measured"), "{format:?}: the after counts were never taken");
    }
    let xml = report::render_with(&result, &[], Format::Junit);
    assert!(xml.contains("<failure type=\"FAILED\" message=\"tests/fixtures/sql/015_broken.sql:56:49: ERROR: column &quot;stauts&quot; does not exist (SQLSTATE 42703)\">"), "{xml}");
    assert!(xml.contains("<testcase classname=\"pgstage.migrations\" name=\"016 Intelligence system\""));
    assert!(xml.contains("<skipped message=\"not run: an earlier step failed or was cancelled\"/>"));
}

#[test]
fn a_cancelled_or_unfinished_run_is_reported_as_such() {
    let mut result = fixture("run_failed_015");
    let step = "Migration 015 – Agent registry".to_string();
    result.outcome = Outcome::Cancelled { step: step.clone() };
    result.migrations[2].status = MigrationStatus::Cancelled;
    result.migrations[2].error = None;
    let md = report::render_with(&result, &[], Format::Markdown);
    assert!(md.contains("## ⛔ Cancelled") && md.contains("cancelled the run during **Migration 015 – Agent registry**"), "{md}");
    assert!(md.contains("| 015 | Agent registry |") && md.contains("⛔ CANCELLED"));
    let xml = report::render_with(&result, &[], Format::Junit);
    assert!(
        xml.contains("<failure type=\"CANCELLED\" message=\"the run was cancelled during Migration 015 – Agent registry\">"),
        "{xml}"
    );

    result.outcome = Outcome::InProgress;
    result.verdict = pgstage::run_result::Verdict {
        go: false,
        criteria: vec![],
        reasons: vec![],
        default_criteria: false,
        able_to_fail: String::new(),
    };
    result.finished_at = String::new();
    for format in [Format::Markdown, Format::Html] {
        let text = report::render_with(&result, &[], format);
        assert!(text.contains("NOT DECIDED") && text.contains("not finished"), "{format:?}");
    }
}

#[test]
fn no_format_ever_contains_the_password() {
    const SECRET: &str = "S3cr3t-Pa55w0rd";
    let url = format!("postgres://dba:{SECRET}@db.staging.example:5432/staging_main?sslmode=require");
    // What pgstage records about a connection comes from these (the engine copies the
    // session's target; connection errors are `ConnectError`s).
    let info = pgstage::db::conninfo::parse(&url).unwrap();
    assert_eq!(info.password.as_ref().map(|p| p.expose()), Some(SECRET), "the fixture URL carries the password");
    let target = info.describe_target();
    let auth_error = pgstage::db::connect::ConnectError::WrongPassword {
        target: target.clone(),
        user: "dba".into(),
        password_from: "the connection string".into(),
    }
    .to_string();

    let mut text = std::fs::read_to_string(path("tests/fixtures/report/run_failed_015.json")).unwrap();
    // A producer (an older or newer pgstage, a hand-edited file) that stored the raw
    // connection string: if RunResult ever gains such a field, this value reaches the
    // renderers, and this test fails until it is redacted.
    text = text.replacen('{', &format!("{{\n  \"connection_string\": {:?},\n  \"password\": {SECRET:?},", url), 1);
    let mut result: RunResult = serde_json::from_str(&text).unwrap();
    result.target = target;
    result.operator = "dba".into();
    result.preflight.push(CheckResult {
        id: "PF-REPLICA".into(),
        group: "safety".into(),
        title: "Replica reachable".into(),
        expected: "connected".into(),
        actual: "cannot connect".into(),
        status: Status::Warn,
        duration_ms: 1.0,
        sql: String::new(),
        detail: format!("{auth_error}\nconnection: {}", info.redacted()),
        metric: None,
    });
    let rendered = all_formats(&result);
    for (format, out) in &rendered {
        assert!(!out.contains(SECRET), "{format:?} report contains the password");
        assert!(!out.contains("S3cr3t"), "{format:?} report contains part of the password");
    }
    let md = &rendered[0].1;
    assert!(
        md.contains("`db.staging.example` port 5432") && md.contains("`staging_main` as user `dba`"),
        "host and database are shown"
    );
    assert!(md.contains("password authentication failed for user \"dba\""), "the error itself is kept");
}

#[test]
fn markup_in_titles_is_escaped_in_html_and_markdown_tables() {
    let mut result = fixture("run_go");
    let evil = "<script>alert('x')</script> | pipe & *stars*";
    result.verification[0].title = evil.into();
    result.verification[0].actual = "a|b\nsecond line".into();
    result.migrations[0].title = "<script>alert(1)</script>".into();
    result.verdict.criteria[0].reason = "<b>bold</b> | reason".into();

    let html = report::render_with(&result, &[], Format::Html);
    assert!(!html.contains("<script"), "unescaped <script> in HTML");
    assert!(!html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | pipe &amp; *stars*"));
    assert!(html.contains("<title>013 &lt;script&gt;alert(1)&lt;/script&gt;</title>"), "SVG labels are escaped too");

    let md = report::render_with(&result, &[], Format::Markdown);
    assert!(!md.contains("<script"), "unescaped <script> in Markdown");
    let row = md.lines().find(|l| l.starts_with("| V01 |")).expect("the V01 row");
    assert!(row.contains(r"&lt;script>alert('x')&lt;/script> \| pipe & \*stars\*"), "{row}");
    assert!(row.contains(r"a\|b<br>second line"), "{row}");
    let unescaped_pipes = |l: &str| l.char_indices().filter(|&(i, ch)| ch == '|' && !l[..i].ends_with('\\')).count();
    assert_eq!(unescaped_pipes(row), 8, "7 columns, 8 separators: {row}");
    let criterion = md.lines().find(|l| l.starts_with("| C-EXEC-ALL |")).unwrap();
    assert_eq!(unescaped_pipes(criterion), 7, "{criterion}");

    let xml = report::render_with(&result, &[], Format::Junit);
    assert!(!xml.contains("<script"));
    assert!(xml.contains("name=\"V01: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | pipe &amp; *stars*\""));
}

#[test]
fn html_is_self_contained() {
    for name in FIXTURES {
        let html = report::render_with(&fixture(name), &[], Format::Html);
        let without_svg_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for needle in ["http://", "https://", "<script", "<link", "<img", "@import", "url("] {
            assert!(!without_svg_ns.contains(needle), "{name}: the HTML must not load anything ({needle})");
        }
        assert_eq!(html.matches("<svg").count(), 2, "{name}: two inline charts");
        assert!(html.contains("@media print") && html.contains("size: A4"));
    }
}

/// Run chromium on `url` with `args`, killing it after a minute.
fn chromium(url: &str, args: &[String]) -> Result<(), String> {
    let profile = TempDir::new("chromium-profile");
    let mut child = Command::new("/usr/bin/chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start /usr/bin/chromium: {e}"))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            if status.success() {
                return Ok(());
            }
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut s, &mut err);
            }
            return Err(format!("chromium exited with {status}: {err}"));
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("chromium did not finish within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn html_renders_in_headless_chromium_to_png_and_pdf() {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: this test renders the HTML report in a real browser. Install it \
         (Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y chromium`) and run the tests again."
    );
    let dir = TempDir::new("report-chromium");
    let html = dir.0.join("run_failed_015.html");
    report::write(&fixture("run_failed_015"), &html).unwrap();
    let url = format!("file://{}", html.display());
    let (png, pdf) = (dir.0.join("report.png"), dir.0.join("report.pdf"));
    // The screenshot and the PDF in parallel: each is one browser start.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| chromium(&url, &[format!("--screenshot={}", png.display()), "--window-size=1200,3000".into()]));
        let b = s.spawn(|| chromium(&url, &["--no-pdf-header-footer".into(), format!("--print-to-pdf={}", pdf.display())]));
        (a.join().unwrap(), b.join().unwrap())
    });
    a.unwrap();
    b.unwrap();
    let png = std::fs::read(&png).unwrap();
    assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot ({} bytes)", png.len());
    let pdf = std::fs::read(&pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let pages = pdf.windows(b"/Type /Page".len() + 1).filter(|w| w.starts_with(b"/Type /Page") && w[w.len() - 1] != b's').count()
        + pdf.windows(b"/Type/Page".len() + 1).filter(|w| w.starts_with(b"/Type/Page") && w[w.len() - 1] != b's').count();
    assert!(pages >= 1, "the PDF has at least one page ({} bytes)", pdf.len());
}

/// Pipes that separate Markdown table cells (not escaped as `\|`).
fn cell_separators(line: &str) -> usize {
    line.char_indices().filter(|&(i, ch)| ch == '|' && !line[..i].ends_with('\\')).count()
}

#[test]
fn markdown_tables_are_well_formed() {
    for name in FIXTURES {
        let md = report::render_with(&fixture(name), &[], Format::Markdown);
        let mut columns: Option<usize> = None;
        let mut in_fence = false;
        for (n, line) in md.lines().enumerate() {
            if line.starts_with("```") {
                in_fence = !in_fence;
            }
            if in_fence || !line.starts_with('|') {
                columns = None;
                continue;
            }
            let pipes = cell_separators(line);
            match columns {
                None => columns = Some(pipes),
                Some(c) => assert_eq!(pipes, c, "{name}.md line {}: a row with a different number of cells: {line}", n + 1),
            }
        }
        assert!(!in_fence, "{name}.md: an unclosed fence");
    }
}

/// A minimal well-formedness check: tags balance, every `&` starts a reference, no raw `<`.
fn assert_well_formed_xml(name: &str, xml: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = xml.strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").expect("the XML declaration");
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity), "{name}: a bare & in {text:?}");
        }
        let end = rest[start..].find('>').expect("a closed tag") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "{name}: a raw < inside a tag: {tag}");
        let quotes = tag.matches('"').count();
        assert_eq!(quotes % 2, 0, "{name}: unbalanced quotes in <{tag}>");
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(closing), "{name}: </{closing}> closes the wrong element");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
    assert!(rest.trim().is_empty());
}

#[test]
fn junit_xml_is_well_formed_even_with_markup_in_the_results() {
    for name in FIXTURES {
        assert_well_formed_xml(name, &report::render_with(&fixture(name), &[], Format::Junit));
    }
    let mut result = fixture("run_failed_015");
    result.preflight[0].title = "<![CDATA[ & ]]> </testcase> \"quoted\" 'single' \u{1}".into();
    result.preflight[0].status = Status::Fail;
    result.preflight[0].actual = "a <b> & c\nsecond line".into();
    let xml = report::render_with(&result, &[], Format::Junit);
    assert_well_formed_xml("markup", &xml);
    assert!(xml.contains("\u{fffd}") && !xml.contains('\u{1}'), "control characters XML forbids are replaced");
}

#[test]
fn a_run_that_stopped_in_preflight_still_renders_every_section() {
    let mut result = fixture("run_failed_015");
    let error = "cannot read the catalog: connection reset by peer".to_string();
    result.outcome = Outcome::Failed { step: "Pre-flight".into(), error: error.clone() };
    result.preflight.clear();
    result.acknowledgements.clear();
    result.schema_counts.before.clear();
    for m in &mut result.migrations {
        *m = pgstage::run_result::MigrationResult {
            status: MigrationStatus::NotRun,
            duration_ms: 0.0,
            statements_done: 0,
            statement_timings: vec![],
            created: Default::default(),
            object_mismatches: vec![],
            error: None,
            ..m.clone()
        };
    }
    for (format, text) in all_formats(&result) {
        assert!(text.contains("Pre-flight") && text.contains("connection reset by peer"), "{format:?}");
    }
    let md = report::render_with(&result, &[], Format::Markdown);
    assert!(md.contains("| Verification | not reached |"), "{md}");
    assert!(md.contains("Not reached: the run failed at Pre-flight."));
}

/// The Markdown banner (the quoted verdict line) and the HTML one (the verdict `div`).
fn banner(format: Format, text: &str) -> String {
    let start = match format {
        Format::Markdown => "> **Verdict:",
        _ => "<div class=\"verdict ",
    };
    text.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("{format:?}: no banner")).to_owned()
}

#[test]
fn a_sandbox_report_says_it_is_a_rehearsal_at_the_top_in_the_banner_and_the_verdict_and_never_production() {
    let go = fixture("run_go");
    assert!(go.sandbox.is_some() && go.verdict.go);
    for format in [Format::Markdown, Format::Html] {
        let text = report::render_with(&go, &[], format);
        let banner = banner(format, &text);
        let notice = text.find("REHEARSAL on a throwaway sandbox — not a staging validation.");
        assert!(notice.is_some_and(|at| at < text.find(&banner).unwrap()), "{format:?}: the notice above the banner");
        let plain = unescape(&banner).replace("<em>", "").replace("</em>", "").replace("✅ ", "");
        assert!(plain.contains("Verdict: GO on a sandbox rehearsal — not a staging validation"), "{format:?}: {banner}");
        assert!(
            text.contains("Every hard criterion is met: **GO on a sandbox rehearsal — not a staging validation**")
                || text.contains(
                    "Every hard criterion is met: <strong>GO on a sandbox rehearsal — not a staging validation</strong>"
                ),
            "{format:?}: the verdict sentence"
        );
        assert!(!text.to_lowercase().contains("production"), "{format:?} mentions production");
    }
    // A run on a database may speak of the production migration.
    let mut staging = go;
    staging.sandbox = None;
    let md = report::render_with(&staging, &[], Format::Markdown);
    assert!(md.contains("Every hard criterion is met: **GO** for the production migration."));
    assert!(!md.contains("REHEARSAL") && !md.contains("sandbox rehearsal"));
}

#[test]
fn a_no_go_banner_names_the_criterion_that_failed_and_every_summary_the_checks_not_shown_able_to_fail() {
    let plan = pgstage::plan::load(&path("plans/week2_staging.ron")).unwrap();
    let mut run = fixture("run_go");
    let failed = &mut run.verification[3];
    failed.status = Status::Fail;
    failed.actual = "0".into();
    let id = failed.id.clone();
    let insensitive = run.sensitivity.iter_mut().find(|s| s.id != id).unwrap();
    insensitive.verdict = pgstage::run_result::Able::Insensitive;
    let insensitive = insensitive.id.clone();
    run.verdict = pgstage::engine::verdict::decide(&plan.plan, &run);
    assert!(!run.verdict.go);
    let missed = run
        .verdict
        .criteria
        .iter()
        .find(|c| c.met == pgstage::run_result::Met::No && c.kind == pgstage::plan::CriterionKind::Hard)
        .unwrap()
        .title
        .clone();
    for format in [Format::Markdown, Format::Html] {
        let text = report::render_with(&run, &[], format);
        let banner = unescape(&banner(format, &text));
        assert!(banner.contains("NO-GO") && banner.contains(&format!("Not met: {missed}")), "{format:?}: {banner}");
        assert!(
            banner.contains(&format!(
                "22 of 23 verification and schema checks shown able to fail; not shown: {insensitive} (INSENSITIVE"
            )),
            "{format:?}: {banner}"
        );
        let verdict = &text[text.rfind("Verdict: NO-GO").unwrap()..];
        assert!(unescape(verdict).contains(&format!("not shown: {insensitive} (INSENSITIVE")), "{format:?}: the verdict line");
    }
}

#[test]
fn a_failed_run_says_what_stays_committed_and_what_to_do_next() {
    let failed = fixture("run_failed_015");
    for format in [Format::Markdown, Format::Html] {
        let text = unescape(&report::render_with(&failed, &[], format));
        assert!(
            text.contains("013 and 014 stay committed on the sandbox (recorded in its ledger). 015 was rolled back"),
            "{format:?}"
        );
        assert!(text.contains("016 and 017 did not run"), "{format:?}");
        assert!(text.contains("Next: fix the cause and rehearse the plan again"), "{format:?}");
    }
    let mut staging = failed;
    staging.sandbox = None;
    let md = report::render_with(&staging, &[], Format::Markdown);
    assert!(md.contains("013 and 014 stay committed on the target database"), "{md}");
    assert!(md.contains("run the plan again, which resumes (the ledger skips 013 and 014 and applies the rest)"), "{md}");
    assert!(md.contains("or undo the batch with the plan's rollback script"), "{md}");
}

#[test]
fn reports_keep_units_write_booleans_as_words_and_the_html_fits_1280_px() {
    let result = fixture("run_go");
    let md = report::render_with(&result, &[], Format::Markdown);
    assert!(md.contains("| ≈ 244 MB (± 25%) | 10.4 MB |"), "PF-SIZE's unit on both sides");
    assert!(md.contains("| V01 | 013 | positioning table exists | true | true |"), "a boolean as the plan wrote it");
    let html = report::render_with(&result, &[], Format::Html);
    assert!(html.contains("<td>≈ 244 MB (± 25%)</td><td>10.4 MB</td>"));
    assert!(!html.contains("<td>t</td>"), "no psql-style boolean in the HTML");

    // The page's width in a real browser 1280 px wide: no sideways scrolling. A script added
    // to a copy writes what it measured into the DOM chromium dumps.
    let dir = TempDir::new("report-width");
    let page = dir.0.join("width.html");
    let probe = "<script>addEventListener('load', () => document.body.setAttribute('data-width', \
                 document.documentElement.scrollWidth + '/' + document.documentElement.clientWidth));</script>";
    std::fs::write(&page, html.replace("</body>", &format!("{probe}</body>"))).unwrap();
    let profile = TempDir::new("chromium-profile-width");
    let out = Command::new("/usr/bin/chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1280,900"])
        .args(["--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let measured = dom.split("data-width=\"").nth(1).and_then(|s| s.split('"').next()).expect("the page was measured");
    let (scroll, client) = measured.split_once('/').unwrap();
    let (scroll, client): (u32, u32) = (scroll.parse().unwrap(), client.parse().unwrap());
    assert!(client > 1200 && scroll <= client, "the page is {scroll} px wide in a {client} px window");
}

#[test]
fn junit_says_a_findings_size_and_lock_only_when_known_never_empty_brackets() {
    // A missing-lock-timeout finding as the rule writes it: the lock known, the size not
    // measured; and a foreign key's finding as the fixture has it: the size, no lock.
    let mut result = fixture("run_go");
    let findings = &mut result.migrations.iter_mut().find(|m| !m.findings.is_empty()).expect("a finding").findings;
    let mut timeout = findings[0].clone();
    timeout.rule = pgstage::plan::LockRule::MissingLockTimeout;
    timeout.relation = "public.users".into();
    timeout.lock = "ShareRowExclusiveLock".into();
    timeout.blocks = "writes".into();
    timeout.rows = None;
    timeout.bytes = None;
    findings.push(timeout);
    let fk = findings[0].clone();
    let xml = unescape(&report::render_with(&result, &[], Format::Junit));
    assert!(!xml.contains("(–)"), "no dash for a size not measured:\n{xml}");
    assert!(!xml.contains("()") && !xml.contains("(blocks )"), "no empty brackets:\n{xml}");
    assert!(xml.contains("relation: public.users\nlock: ShareRowExclusiveLock (blocks writes)\n"), "{xml}");
    assert!(xml.contains(&format!("relation: {} (empty)\nsafer: ", fk.relation)), "no lock line without a lock:\n{xml}");
}
