//! The catalogue of the lock rules: for each, what it detects, why it matters, the safer way,
//! how severe its findings are, and a bad and a good example. The examples are data the
//! tests run: on a database seeded with [`BASELINE`] (tables of 10,000 rows), each bad example
//! raises its rule and each good one does not. `pgstage rules` prints this catalogue, and the
//! README's list of rules is [`readme_list`], checked by a test.

use crate::plan::LockRule;

/// What `pgstage rules` says about one rule.
pub struct Doc {
    pub id: LockRule,
    /// How severe its findings are, and what that depends on.
    pub severity: &'static str,
    pub detects: &'static str,
    pub why: &'static str,
    pub safer: &'static str,
    /// Migrations (each a file's SQL) that raise the rule on [`BASELINE`].
    pub bad: &'static [&'static str],
    /// Migrations that do the same job the safer way and do not raise it.
    pub good: &'static [&'static str],
}

/// The schema the examples run on, each example in a database of its own seeded with it (on
/// top of any schema: its names are its own). Tables of 10,000 rows, so that what a statement
/// costs under a lock shows.
pub const BASELINE: &str = "\
CREATE TYPE public.order_status AS ENUM ('placed', 'shipped', 'delivered');
CREATE DOMAIN public.money_cents AS bigint;
CREATE TABLE public.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL,
    email text,
    name varchar(100) NOT NULL,
    region text CONSTRAINT customers_region_present CHECK (region IS NOT NULL),
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.customers (code, email, name, region, note)
SELECT 'C' || g, 'c' || g || '@example.com', 'Customer ' || g, 'r' || g % 10, NULL
FROM generate_series(1, 10100) g;
CREATE UNIQUE INDEX customers_code_idx ON public.customers (code);
CREATE UNIQUE INDEX customers_email_idx ON public.customers (email);
CREATE TABLE public.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES public.customers,
    status public.order_status NOT NULL DEFAULT 'placed',
    total public.money_cents NOT NULL,
    archived boolean NOT NULL DEFAULT false
);
INSERT INTO public.orders (customer_id, total) SELECT g % 10000 + 1, g FROM generate_series(1, 10000) g;
CREATE INDEX orders_customer_open_idx ON public.orders (customer_id) WHERE NOT archived;
ALTER TABLE public.orders ADD CONSTRAINT orders_total_cap CHECK (total < 1000000000) NOT VALID;
CREATE TABLE public.shipments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES public.orders,
    shipped_at timestamptz
);
INSERT INTO public.shipments (order_id) SELECT g FROM generate_series(1, 5000) g;
CREATE INDEX shipments_order_id_idx ON public.shipments (order_id);
CREATE TABLE public.legacy_contacts (email text, code text NOT NULL);
INSERT INTO public.legacy_contacts SELECT 'l' || g || '@example.com', 'L' || g FROM generate_series(1, 10000) g;
CREATE UNIQUE INDEX legacy_contacts_email_idx ON public.legacy_contacts (email);
CREATE UNIQUE INDEX legacy_contacts_code_idx ON public.legacy_contacts (code);
CREATE TABLE public.measurements (id bigint NOT NULL, taken_on date NOT NULL, value double precision)
    PARTITION BY RANGE (taken_on);
CREATE TABLE public.measurements_2025 PARTITION OF public.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.measurements_2026 PARTITION OF public.measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO public.measurements SELECT g, date '2025-01-01' + g % 700, g FROM generate_series(1, 10000) g;
";

/// The catalogue entry of `id`.
pub fn doc(id: LockRule) -> &'static Doc {
    super::rules::CATALOGUE.iter().find(|d| d.id == id).expect("every rule has its entry in the catalogue")
}

/// The catalogue as `pgstage rules` prints it: the examples' schema, then every rule.
pub fn render() -> String {
    let mut out = String::from(
        "pgstage's lock rules. Each finding names its statement (file:line), the relation and its size on\n\
         the target, the lock and what it blocks. A plan accepts one with\n\
         accept: [(rule: \"<id>\", relation: Some(\"<table>\"), reason: \"…\")].\n\
         The examples run on this schema (tables of 10,000 rows); they show the statement alone,\n\
         without the `SET lock_timeout` a careful file starts with:\n\n",
    );
    out.push_str(&indent(BASELINE));
    for rule in super::rules::ALL {
        out.push('\n');
        out.push_str(&render_rule(rule.id));
    }
    out
}

/// One rule as `pgstage rules ID` prints it.
pub fn render_rule(id: LockRule) -> String {
    let d = doc(id);
    let summary = super::rules::ALL.iter().find(|r| r.id == id).map_or("", |r| r.summary);
    let mut out = format!("{id} — {summary}\n");
    for (label, text) in [("severity", d.severity), ("detects", d.detects), ("why", d.why), ("safer", d.safer)] {
        out.push_str(&format!("  {label}: {text}\n"));
    }
    for (label, examples) in [("bad", d.bad), ("good", d.good)] {
        for sql in examples {
            out.push_str(&format!("  {label}:\n{}", indent(&format!("{}\n", sql.trim_end()))));
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// The README's list of rules: one line per rule, its id and what it detects.
pub fn readme_list() -> String {
    super::rules::ALL.iter().map(|r| format!("- `{}`: {}\n", r.id, doc(r.id).detects)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_has_one_entry_with_examples_of_both_kinds() {
        for rule in super::super::rules::ALL {
            let entries = super::super::rules::CATALOGUE.iter().filter(|d| d.id == rule.id).count();
            assert_eq!(entries, 1, "{}", rule.id);
            let d = super::doc(rule.id);
            assert!(!d.bad.is_empty() && !d.good.is_empty(), "{}: a bad and a good example", rule.id);
            assert!([d.severity, d.detects, d.why, d.safer].iter().all(|t| !t.trim().is_empty()), "{}", rule.id);
        }
    }

    #[test]
    fn the_readme_lists_the_catalogue() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
        let start = readme.find(begin).expect("the README marks its rule list") + begin.len();
        let stop = readme[start..].find(end).expect("the README ends its rule list") + start;
        let want = super::readme_list();
        if std::env::var_os("PGSTAGE_BLESS").is_some() && readme[start..stop] != want {
            let blessed = format!("{}{want}{}", &readme[..start], &readme[stop..]);
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), blessed).unwrap();
            return;
        }
        assert_eq!(readme[start..stop], want, "README's rule list (PGSTAGE_BLESS=1 rewrites it)");
    }
}
