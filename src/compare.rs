//! Two runs of a plan compared (the sandbox rehearsal and the staging run, or two staging
//! runs): which verdict criteria, checks, migration statuses and timings, lock findings and
//! schema counts differ, and how much was the same. Pure: two [`RunResult`]s in, rows out;
//! `pgstage compare` prints them ([`text`]), the window's Compare tab draws them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::plan::Section;
use crate::report::content::{self, fmt_ms, value_text};
use crate::run_result::{CheckResult, Met, MigrationResult, MigrationStatus, RunResult};

/// A run result that could not be read for a comparison.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: not a pgstage run result (line {line}, column {column}): {message}")]
    NotARunResult { file: String, line: usize, column: usize, message: String },
}

/// Read a run result (`run.json`, as `pgstage run --report` or the window's export writes it).
pub fn read(path: &Path) -> Result<RunResult, ReadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io { file: file.clone(), source })?;
    serde_json::from_str(&text).map_err(|e| ReadError::NotARunResult {
        file,
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// A timing differs notably when one run took more than this many times the other's.
pub const NOTABLE_RATIO: f64 = 1.5;

/// What a difference is about, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    Verdict,
    Criterion,
    Check,
    Migration,
    Timing,
    Finding,
    Count,
}

impl Area {
    pub fn label(self) -> &'static str {
        match self {
            Area::Verdict => "verdict",
            Area::Criterion => "criterion",
            Area::Check => "check",
            Area::Migration => "migration",
            Area::Timing => "timing",
            Area::Finding => "lock finding",
            Area::Count => "schema count",
        }
    }
}

/// One thing that differs: what it is, and what each run says.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub area: Area,
    /// E.g. "PF-SIZE (pre-flight): Database size", "013", "tables after the migrations".
    pub item: String,
    pub a: String,
    pub b: String,
}

/// A migration's statements' time in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TimingRow {
    pub id: String,
    /// "217 ms (faster)", or the status when it did not run to its end.
    pub a: String,
    pub b: String,
    /// B's time over A's, when both applied it.
    pub ratio: Option<f64>,
}

/// Which run is which, in a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub run_id: String,
    /// "sandbox rehearsal, PostgreSQL 15.18" or "staging postgres@db:5432/app, PostgreSQL 16.4".
    pub on: String,
    pub started_at: String,
    pub verdict: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanMatch {
    /// The same plan file (same checksum).
    Same,
    /// The same plan name, but the file changed between the runs.
    Changed,
    /// Two different plans: compared all the same, and said first.
    Other { a: String, b: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub plan_name: String,
    pub plan: PlanMatch,
    pub a: Side,
    pub b: Side,
    pub differences: Vec<Difference>,
    pub timings: Vec<TimingRow>,
    /// What was compared and found the same, counted ("60 of 62 checks").
    pub same: Vec<String>,
}

impl Comparison {
    pub fn differ(&self) -> bool {
        !self.differences.is_empty() || self.plan != PlanMatch::Same
    }
}

fn side(r: &RunResult) -> Side {
    let on = match &r.sandbox {
        Some(s) => format!("sandbox rehearsal, PostgreSQL {}", s.version),
        None => format!("{}, PostgreSQL {}", r.target, r.server_version),
    };
    Side { run_id: r.run_id.clone(), on, started_at: r.started_at.clone(), verdict: content::verdict_word(r) }
}

/// Compare run `a` with run `b` (A is usually the earlier: the rehearsal).
pub fn compare(a: &RunResult, b: &RunResult) -> Comparison {
    let plan = if a.plan.checksum == b.plan.checksum {
        PlanMatch::Same
    } else if a.plan.name == b.plan.name {
        PlanMatch::Changed
    } else {
        PlanMatch::Other { a: a.plan.name.clone(), b: b.plan.name.clone() }
    };
    let mut c = Comparison {
        plan_name: b.plan.name.clone(),
        plan,
        a: side(a),
        b: side(b),
        differences: Vec::new(),
        timings: Vec::new(),
        same: Vec::new(),
    };
    if c.a.verdict != c.b.verdict {
        c.differences.push(Difference {
            area: Area::Verdict,
            item: "verdict".into(),
            a: c.a.verdict.into(),
            b: c.b.verdict.into(),
        });
    }
    criteria(&mut c, a, b);
    checks(&mut c, a, b);
    migrations(&mut c, a, b);
    findings(&mut c, a, b);
    counts(&mut c, a, b);
    c.differences.sort_by_key(|d| d.area);
    c
}

/// Keys in A's order, then those only in B.
fn union<K: Clone + Ord>(a: &BTreeMap<K, usize>, b: &BTreeMap<K, usize>) -> Vec<K> {
    let mut keys: Vec<(usize, usize, K)> = a.iter().map(|(k, i)| (0, *i, k.clone())).collect();
    keys.extend(b.iter().filter(|(k, _)| !a.contains_key(*k)).map(|(k, i)| (1, *i, k.clone())));
    keys.sort_by_key(|(side, i, _)| (*side, *i));
    keys.into_iter().map(|(_, _, k)| k).collect()
}

fn index<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> BTreeMap<K, usize> {
    items.iter().enumerate().map(|(i, t)| (key(t), i)).collect()
}

const MISSING: &str = "not in this run";

fn met_word(m: Met) -> &'static str {
    match m {
        Met::Yes => "met",
        Met::No => "NOT MET",
        Met::NotApplicable => "n/a",
        Met::NotReached => "not reached",
    }
}

fn criteria(c: &mut Comparison, a: &RunResult, b: &RunResult) {
    let (ia, ib) = (index(&a.verdict.criteria, |x| x.title.clone()), index(&b.verdict.criteria, |x| x.title.clone()));
    let mut same = 0;
    let keys = union(&ia, &ib);
    for title in &keys {
        let word = |r: &RunResult, i: &BTreeMap<String, usize>| {
            i.get(title).map_or(MISSING.to_owned(), |&n| met_word(r.verdict.criteria[n].met).to_owned())
        };
        let (wa, wb) = (word(a, &ia), word(b, &ib));
        if wa == wb {
            same += 1;
        } else {
            c.differences.push(Difference { area: Area::Criterion, item: title.clone(), a: wa, b: wb });
        }
    }
    c.same.push(format!("{same} of {} criteria", keys.len()));
}

fn checks(c: &mut Comparison, a: &RunResult, b: &RunResult) {
    let all = |r: &RunResult| -> Vec<(Section, CheckResult)> {
        Section::ALL.iter().flat_map(|s| r.section(*s).iter().map(move |x| (*s, x.clone()))).collect()
    };
    let (ca, cb) = (all(a), all(b));
    let key = |(s, x): &(Section, CheckResult)| (s.to_string(), x.id.clone());
    let (ia, ib) = (index(&ca, key), index(&cb, key));
    let shown = |list: &[(Section, CheckResult)], i: Option<&usize>| match i {
        Some(&n) => {
            let x = &list[n].1;
            // A manual item's value is who acknowledged it and when: another run, another
            // person and time. Only its status is compared.
            if x.group == "manual" {
                x.status.label().to_owned()
            } else {
                format!("{} · {}", x.status.label(), value_text(x, &x.actual))
            }
        }
        None => MISSING.to_owned(),
    };
    let keys = union(&ia, &ib);
    let mut same = 0;
    for k in &keys {
        let (sa, sb) = (shown(&ca, ia.get(k)), shown(&cb, ib.get(k)));
        if sa == sb {
            same += 1;
            continue;
        }
        let title = ia.get(k).map(|&n| &ca[n].1).or_else(|| ib.get(k).map(|&n| &cb[n].1)).map_or("", |x| x.title.as_str());
        c.differences.push(Difference { area: Area::Check, item: format!("{} ({}): {title}", k.1, k.0), a: sa, b: sb });
    }
    c.same.push(format!("{same} of {}", content::count_of(keys.len(), "checks")));
}

fn migrations(c: &mut Comparison, a: &RunResult, b: &RunResult) {
    let (ia, ib) = (index(&a.migrations, |m| m.id.clone()), index(&b.migrations, |m| m.id.clone()));
    let keys = union(&ia, &ib);
    let mut same = 0;
    for id in &keys {
        let (ma, mb) = (ia.get(id).map(|&n| &a.migrations[n]), ib.get(id).map(|&n| &b.migrations[n]));
        let status =
            |m: Option<&MigrationResult>| m.map_or(MISSING.to_owned(), |m| content::migration_status_label(&m.status).to_owned());
        let (sa, sb) = (status(ma), status(mb));
        if sa == sb {
            same += 1;
        } else {
            c.differences.push(Difference { area: Area::Migration, item: id.clone(), a: sa, b: sb });
        }
        fn applied(m: Option<&MigrationResult>) -> Option<&MigrationResult> {
            m.filter(|m| m.status == MigrationStatus::Applied)
        }
        let time = |m: Option<&MigrationResult>| match applied(m) {
            Some(m) => format!("{} ({})", fmt_ms(m.duration_ms), content::timing_text(m)),
            None => status(m).to_lowercase(),
        };
        let ratio = match (applied(ma), applied(mb)) {
            (Some(x), Some(y)) if x.duration_ms > 0.0 => Some(y.duration_ms / x.duration_ms),
            _ => None,
        };
        let row = TimingRow { id: id.clone(), a: time(ma), b: time(mb), ratio };
        let judged = |m: Option<&MigrationResult>| applied(m).map(content::timing_text);
        let notable = ratio.is_some_and(|r| !(1.0 / NOTABLE_RATIO..=NOTABLE_RATIO).contains(&r))
            || (ratio.is_some() && judged(ma) != judged(mb));
        if notable {
            c.differences.push(Difference {
                area: Area::Timing,
                item: format!("{id} (×{:.2})", ratio.unwrap_or_default()),
                a: row.a.clone(),
                b: row.b.clone(),
            });
        }
        c.timings.push(row);
    }
    let statuses = if keys.len() == 1 { "migration's status" } else { "migrations' statuses" };
    c.same.push(format!("{same} of {} {statuses}", keys.len()));
}

fn findings(c: &mut Comparison, a: &RunResult, b: &RunResult) {
    // A finding is the same when the same rule fires on the same relation at the same
    // statement of the same migration.
    type Key = (String, String, String, String);
    // (Two foreign keys of one statement on one table are two findings of one key: counted.)
    let list = |r: &RunResult| -> BTreeMap<Key, Vec<String>> {
        let mut out: BTreeMap<Key, Vec<String>> = BTreeMap::new();
        for m in &r.migrations {
            for f in &m.findings {
                let state = match &f.accepted {
                    Some(_) => format!("{} (accepted)", f.severity.label()),
                    None => f.severity.label().to_owned(),
                };
                out.entry((m.id.clone(), f.rule.as_str().to_owned(), f.relation.clone(), f.statement.clone()))
                    .or_default()
                    .push(state);
            }
        }
        out
    };
    let (fa, fb) = (list(a), list(b));
    let mut keys: Vec<&Key> = fa.keys().chain(fb.keys().filter(|k| !fa.contains_key(*k))).collect();
    keys.sort();
    let mut same = 0;
    for k in &keys {
        let word = |f: &BTreeMap<Key, Vec<String>>| match f.get(*k).map(Vec::as_slice) {
            None | Some([]) => "not found".to_owned(),
            Some([one]) => one.clone(),
            Some(many) => {
                let mut many = many.to_vec();
                many.sort();
                format!("{} findings: {}", many.len(), many.join(", "))
            }
        };
        let (wa, wb) = (word(&fa), word(&fb));
        if wa == wb {
            same += 1;
            continue;
        }
        let (migration, rule, relation, statement) = k;
        let at = statement.rsplit('/').next().unwrap_or(statement);
        c.differences.push(Difference {
            area: Area::Finding,
            item: format!("{migration} {rule} on {relation} ({at})"),
            a: wa,
            b: wb,
        });
    }
    c.same.push(format!("{same} of {}", content::count_of(keys.len(), "lock findings")));
}

fn counts(c: &mut Comparison, a: &RunResult, b: &RunResult) {
    let mut same = 0;
    let mut total = 0;
    for (when, pick) in [("before the migrations", true), ("after them", false)] {
        let map = |r: &RunResult| if pick { r.schema_counts.before.clone() } else { r.schema_counts.after.clone() };
        let (ma, mb) = (map(a), map(b));
        let mut kinds: Vec<_> = ma.keys().chain(mb.keys()).copied().collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            total += 1;
            let n = |m: &BTreeMap<_, usize>| m.get(&kind).map_or("–".to_owned(), |n| n.to_string());
            let (na, nb) = (n(&ma), n(&mb));
            if na == nb {
                same += 1;
            } else {
                c.differences.push(Difference { area: Area::Count, item: format!("{} {when}", kind.label()), a: na, b: nb });
            }
        }
    }
    c.same.push(format!("{same} of {total} schema counts"));
}

/// The comparison as plain text (what `pgstage compare` prints).
pub fn text(c: &Comparison) -> String {
    let mut o = format!("Two runs of \"{}\" compared\n", c.plan_name);
    for (name, s) in [("A", &c.a), ("B", &c.b)] {
        o.push_str(&format!("  {name}: run {} on {}, started {}: {}\n", s.run_id, s.on, s.started_at, s.verdict));
    }
    match &c.plan {
        PlanMatch::Same => o.push_str("Plan: the same file in both runs (same checksum).\n"),
        PlanMatch::Changed => {
            o.push_str("Plan: CHANGED between the runs (the file's checksum differs): some differences may be the plan's.\n")
        }
        PlanMatch::Other { a, b } => o.push_str(&format!("Plan: DIFFERENT plans (A: \"{a}\", B: \"{b}\").\n")),
    }
    if c.differences.is_empty() {
        o.push_str(
            "\nNo difference in the verdict, the criteria, the checks, the migrations, the lock findings or the schema counts.\n",
        );
    } else {
        o.push_str(&format!("\n{}:\n", content::count_of(c.differences.len(), "differences")));
        let width = c.differences.iter().map(|d| d.item.chars().count()).max().unwrap_or(0).min(60);
        for d in &c.differences {
            o.push_str(&format!("  {:<12} {:<width$}  A: {}  →  B: {}\n", d.area.label(), d.item, d.a, d.b));
        }
    }
    if !c.timings.is_empty() {
        o.push_str("\nTime of each migration's statements (A → B):\n");
        for t in &c.timings {
            let ratio = t.ratio.map_or(String::new(), |r| format!("  ×{r:.2}"));
            o.push_str(&format!("  {:<8} {:<24} → {}{ratio}\n", t.id, t.a, t.b));
        }
    }
    o.push_str(&format!("\nThe same in both: {}.\n", c.same.join(", ")));
    o
}
