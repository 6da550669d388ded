//! Type choices, as information: columns the migration adds (in new tables or old ones) or
//! changes to a type that serves worse than another — `json` where `jsonb` serves, `char(n)`,
//! `timestamp` without time zone, an `integer` primary key, a `serial` column where an identity
//! column serves. Read from the catalog after the migration (the types as `format_type` writes
//! them, the primary keys, the defaults). One rule each, so a plan accepts one and not another.

use super::Rule;
use super::columns::{Touched, statement_naming, touched};
use crate::db::snapshot::Kind;
use crate::findings::Context;
use crate::findings::catalogue::Doc;
use crate::plan::LockRule;
use crate::run_result::{Finding, FindingSeverity};

/// An information finding about column `t`.
fn info(ctx: &Context, rule: LockRule, t: &Touched, message: String, advice: &str) -> Finding {
    Finding {
        severity: FindingSeverity::Info,
        statement: statement_naming(ctx, t.table, &["CREATE TABLE", "ALTER TABLE"]),
        relation: t.table.to_owned(),
        message: format!("{}.{} {message}", t.table, t.column.name),
        advice: advice.into(),
        ..Finding::of(rule)
    }
}

/// Every column touched whose type `bad` says is the rule's, as findings.
fn columns_of(ctx: &Context, rule: LockRule, bad: fn(&str) -> bool, message: &str, advice: &str) -> Vec<Finding> {
    touched(ctx)
        .iter()
        .filter(|t| bad(t.column.ty))
        .map(|t| info(ctx, rule, t, format!("is {}: {message}", t.column.ty), advice))
        .collect()
}

const SEVERITY: &str = "information";

pub const JSON: Rule = Rule { id: LockRule::JsonColumn, summary: "json where jsonb serves", check: json };
const JSON_ADVICE: &str = "jsonb (unless the text must be kept byte for byte, key order and duplicates included)";
fn json(ctx: &Context) -> Vec<Finding> {
    let bad = |ty: &str| ty == "json" || ty == "json[]";
    columns_of(
        ctx,
        JSON.id,
        bad,
        "no equality operator (DISTINCT, GROUP BY, UNION fail), no GIN index, reparsed on every read",
        JSON_ADVICE,
    )
}
pub const JSON_DOC: Doc = Doc {
    id: LockRule::JsonColumn,
    severity: SEVERITY,
    detects: "a column added or changed to json",
    why: "json is stored as text and reparsed on every access; it has no equality operator (DISTINCT, GROUP BY, UNION fail) and no GIN index",
    safer: JSON_ADVICE,
    bad: &["CREATE TABLE public.webhook_payloads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body json NOT NULL);"],
    good: &["CREATE TABLE public.webhook_payloads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body jsonb NOT NULL);"],
};

pub const CHAR: Rule = Rule { id: LockRule::CharColumn, summary: "char(n) column", check: char_column };
const CHAR_ADVICE: &str = "text (with a CHECK on the length if it matters), or varchar(n)";
fn char_column(ctx: &Context) -> Vec<Finding> {
    let bad = |ty: &str| ty == "character" || ty.starts_with("character(");
    columns_of(ctx, CHAR.id, bad, "padded with spaces to its length, compared ignoring them, no faster than text", CHAR_ADVICE)
}
pub const CHAR_DOC: Doc = Doc {
    id: LockRule::CharColumn,
    severity: SEVERITY,
    detects: "a column added or changed to char(n) (character)",
    why: "values are padded with spaces, the padding is ignored in comparisons but not everywhere (LIKE, concatenation), and it is no faster or smaller than text",
    safer: CHAR_ADVICE,
    bad: &["CREATE TABLE public.currencies (code char(3) PRIMARY KEY, name text NOT NULL);"],
    good: &["CREATE TABLE public.currencies (code text PRIMARY KEY CHECK (length(code) = 3), name text NOT NULL);"],
};

pub const TIMESTAMP: Rule =
    Rule { id: LockRule::TimestampWithoutTimeZone, summary: "timestamp without time zone", check: timestamp };
const TIMESTAMP_ADVICE: &str = "timestamptz (timestamp with time zone): an instant, shown in the session's time zone";
fn timestamp(ctx: &Context) -> Vec<Finding> {
    let bad = |ty: &str| ty.starts_with("timestamp") && ty.contains("without time zone");
    columns_of(ctx, TIMESTAMP.id, bad, "a wall-clock time with no zone: its instant depends on who wrote it", TIMESTAMP_ADVICE)
}
pub const TIMESTAMP_DOC: Doc = Doc {
    id: LockRule::TimestampWithoutTimeZone,
    severity: SEVERITY,
    detects: "a column added or changed to timestamp without time zone",
    why: "it stores a wall-clock reading, not an instant: sessions in other time zones, and daylight-saving changes, read it wrong, and now() is cast with the session's zone",
    safer: TIMESTAMP_ADVICE,
    bad: &["ALTER TABLE public.customers ADD COLUMN last_seen timestamp;"],
    good: &["ALTER TABLE public.customers ADD COLUMN last_seen timestamptz;"],
};

pub const INTEGER_KEY: Rule = Rule { id: LockRule::IntegerPrimaryKey, summary: "integer primary key", check: integer_key };
const INTEGER_KEY_ADVICE: &str =
    "bigint (bigint GENERATED ALWAYS AS IDENTITY): changing the type later rewrites the table and every referencing one";
fn integer_key(ctx: &Context) -> Vec<Finding> {
    let constraints = ctx.after.objects.get(&Kind::Constraint);
    let mut out = Vec::new();
    for name in ctx.diff.appeared_of(Kind::Constraint) {
        let Some(def) = constraints.and_then(|c| c.get(name)) else { continue };
        let Some(key) = def.strip_prefix("PRIMARY KEY (").and_then(|k| k.split(')').next()) else { continue };
        let Some((table, _)) = name.rsplit_once('.') else { continue };
        let keys: Vec<&str> = key.split(", ").collect();
        let Some(def) = ctx.after.objects.get(&Kind::Table).and_then(|t| t.get(table)) else { continue };
        for column in super::columns::columns(def) {
            if keys.contains(&column.name) && (column.ty == "integer" || column.ty == "smallint") {
                let t = Touched { table, column, before: None };
                let message =
                    format!("is the primary key, {}: at most 2,147,483,647 values, and no room once they run out", t.column.ty);
                out.push(info(ctx, INTEGER_KEY.id, &t, message, INTEGER_KEY_ADVICE));
            }
        }
    }
    out
}
pub const INTEGER_KEY_DOC: Doc = Doc {
    id: LockRule::IntegerPrimaryKey,
    severity: SEVERITY,
    detects: "a primary key added on an integer or smallint column",
    why: "a table expected to grow runs out of integer keys (2,147,483,647), and changing the type then rewrites the table and every table that references it",
    safer: INTEGER_KEY_ADVICE,
    bad: &["CREATE TABLE public.page_hits (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, path text NOT NULL);"],
    good: &["CREATE TABLE public.page_hits (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, path text NOT NULL);"],
};

pub const SERIAL: Rule = Rule { id: LockRule::SerialColumn, summary: "serial where identity serves", check: serial };
const SERIAL_ADVICE: &str = "bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT): the sequence belongs to the column, its grants and ownership follow the table, and a stray INSERT cannot bypass it";
fn serial(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in touched(ctx) {
        let serial = t.column.default.is_some_and(|d| d.starts_with("nextval("))
            && ["smallint", "integer", "bigint"].contains(&t.column.ty);
        if serial && t.before.is_none() {
            out.push(info(ctx, SERIAL.id, &t, "takes its values from a sequence default (serial)".into(), SERIAL_ADVICE));
        }
    }
    out
}
pub const SERIAL_DOC: Doc = Doc {
    id: LockRule::SerialColumn,
    severity: SEVERITY,
    detects: "a new column whose default is nextval() of a sequence (serial, bigserial)",
    why: "the sequence is a separate object: it needs its own grants, is not copied by CREATE TABLE … LIKE, and explicit values inserted past it make later inserts fail",
    safer: SERIAL_ADVICE,
    bad: &["CREATE TABLE public.tickets (id bigserial PRIMARY KEY, subject text NOT NULL);"],
    good: &["CREATE TABLE public.tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subject text NOT NULL);"],
};

#[cfg(test)]
mod tests {
    use crate::db::snapshot::{Kind, ObjectRef};
    use crate::findings::test_utils::{Fixture, rules_of};

    fn new_table(def: &str, pk: Option<&str>) -> Vec<String> {
        let mut f = Fixture::new().sql(2, "CREATE TABLE public.t (…)");
        f.after.objects.entry(Kind::Table).or_default().insert("public.t".into(), def.into());
        f.diff.appeared.push(ObjectRef { kind: Kind::Table, name: "public.t".into() });
        if let Some(pk) = pk {
            f.after.objects.entry(Kind::Constraint).or_default().insert("public.t.t_pkey".into(), pk.into());
            f.diff.appeared.push(ObjectRef { kind: Kind::Constraint, name: "public.t.t_pkey".into() });
        }
        rules_of(&f.findings(1000)).into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn each_type_choice_is_found_and_its_better_type_is_not() {
        assert_eq!(new_table("body json", None), ["json-column"]);
        assert!(new_table("body jsonb", None).is_empty());
        assert_eq!(new_table("code character(3)", None), ["char-column"]);
        assert!(new_table("code character varying(3)", None).is_empty());
        assert_eq!(new_table("at timestamp without time zone", None), ["timestamp-without-time-zone"]);
        assert!(new_table("at timestamp with time zone", None).is_empty());
        assert_eq!(new_table("id integer not null", Some("PRIMARY KEY (id)")), ["integer-primary-key"]);
        assert!(new_table("id bigint not null", Some("PRIMARY KEY (id)")).is_empty());
        assert_eq!(new_table("id bigint not null default nextval('t_id_seq'::regclass)", None), ["serial-column"]);
        assert!(new_table("id bigint not null", None).is_empty());
    }
}
