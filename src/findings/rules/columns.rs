//! The columns a migration added or changed, read from the catalog before and after it (the
//! snapshot's table definitions: "name type[ not null][ default …| generated always as …]",
//! in column order, types as `format_type` writes them), for the rules about column types and
//! compatibility; and the statement of the file that names a table.

use crate::db::snapshot::Kind;
use crate::findings::{Context, shape};

/// One column of a table definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column<'a> {
    /// As the catalog quotes it.
    pub name: &'a str,
    pub ty: &'a str,
    pub not_null: bool,
    pub default: Option<&'a str>,
    pub generated: bool,
}

/// The columns of a table definition as the snapshot writes it.
pub fn columns(def: &str) -> Vec<Column<'_>> {
    pieces(def).into_iter().filter_map(column).collect()
}

/// `def` split at its top-level ", " (not inside parentheses, strings or quoted names).
fn pieces(def: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quote, mut start) = (Vec::new(), 0i32, None::<u8>, 0);
    let bytes = def.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'(') => depth += 1,
            (None, b')') => depth -= 1,
            (None, b',') if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                out.push(&def[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    if start < def.len() {
        out.push(&def[start..]);
    }
    out
}

fn column(piece: &str) -> Option<Column<'_>> {
    let name_end = if piece.starts_with('"') {
        let mut i = 1;
        let b = piece.as_bytes();
        while i < b.len() {
            if b[i] == b'"' && b.get(i + 1) == Some(&b'"') {
                i += 2;
            } else if b[i] == b'"' {
                break;
            } else {
                i += 1;
            }
        }
        i + 1
    } else {
        piece.find(' ')?
    };
    let name = &piece[..name_end.min(piece.len())];
    let rest = piece.get(name_end + 1..)?;
    let ends = [" not null", " default ", " generated always as "];
    let ty_end = ends.iter().filter_map(|e| rest.find(e)).min().unwrap_or(rest.len());
    let mut tail = &rest[ty_end..];
    let not_null = tail.starts_with(" not null");
    if not_null {
        tail = &tail[" not null".len()..];
    }
    let default = tail.strip_prefix(" default ");
    Some(Column { name, ty: &rest[..ty_end], not_null, default, generated: tail.starts_with(" generated always as ") })
}

/// A column the migration added, or whose type it changed, with its table (`schema.table`)
/// and its type before (`None`: a new column, or a column of a new table).
pub struct Touched<'a> {
    pub table: &'a str,
    pub column: Column<'a>,
    pub before: Option<&'a str>,
}

/// The columns of new tables, the columns added to pre-existing ones, and those whose type
/// changed, per the catalog before and after the migration. A table or column renamed is the
/// same one under its new name (the data changes say which), not a new one.
pub fn touched<'a>(ctx: &'a Context) -> Vec<Touched<'a>> {
    let data = &ctx.migration.data.tables;
    let mut out = Vec::new();
    let tables = ctx.after.objects.get(&Kind::Table);
    for name in ctx.diff.appeared_of(Kind::Table) {
        if data.iter().any(|t| t.renamed_to.as_deref() == Some(name)) {
            continue;
        }
        let Some(def) = tables.and_then(|t| t.get(name)) else { continue };
        out.extend(columns(def).into_iter().map(|column| Touched { table: name, column, before: None }));
    }
    for change in ctx.diff.changed.iter().filter(|c| c.object.kind == Kind::Table) {
        let table = change.object.name.as_str();
        let renames = data.iter().filter(|t| t.table == table).flat_map(|t| &t.renamed_columns);
        let renames: Vec<_> = renames.collect();
        let before = columns(&change.before);
        for column in columns(&change.after) {
            let was = renames.iter().find(|r| r.to.trim_matches('"') == column.name.trim_matches('"'));
            let old_name = was.map_or(column.name, |r| r.from.as_str());
            let old = before.iter().find(|b| b.name.trim_matches('"') == old_name.trim_matches('"'));
            match old {
                None => out.push(Touched { table, column, before: None }),
                Some(old) if old.ty != column.ty => out.push(Touched { table, column, before: Some(old.ty) }),
                Some(_) => {}
            }
        }
    }
    out
}

/// The name as written in SQL, upper-cased and unquoted, without its schema.
fn bare_upper(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).replace('"', "").to_uppercase()
}

/// `file:line` of the first statement starting with one of `starts` that names `table`
/// (`schema.table`, matched without its schema), or the file when none does.
pub fn statement_naming(ctx: &Context, table: &str, starts: &[&str]) -> String {
    let want = bare_upper(table);
    ctx.statements
        .iter()
        .find(|s| {
            let sql = shape(&s.sql).replace('"', "");
            starts.iter().any(|p| sql.starts_with(p))
                && sql.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).any(|word| word == want)
        })
        .map_or_else(|| ctx.file().to_owned(), |s| format!("{}:{}", ctx.file(), s.line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_reads_as_its_columns() {
        let def = "id bigint not null, \"Odd, name\" character varying(100) default 'a, b'::character varying, \
                   price numeric(10,2), at timestamp(3) without time zone not null default now(), \
                   total bigint generated always as ((price * 2)), n integer default nextval('t_n_seq'::regclass)";
        let cols = columns(def);
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        assert_eq!(names, ["id", "\"Odd, name\"", "price", "at", "total", "n"]);
        assert_eq!(cols[1].ty, "character varying(100)");
        assert_eq!(cols[1].default, Some("'a, b'::character varying"));
        assert_eq!((cols[3].ty, cols[3].not_null, cols[3].default), ("timestamp(3) without time zone", true, Some("now()")));
        assert!(cols[4].generated && cols[4].default.is_none());
        assert_eq!(cols[5].default, Some("nextval('t_n_seq'::regclass)"));
    }

    #[test]
    fn a_renamed_column_is_not_a_new_one() {
        use crate::db::snapshot::{Change, ObjectRef};
        use crate::run_result::{ColumnRename, TableChange};
        let mut f = crate::findings::test_utils::Fixture::new();
        f.diff.changed.push(Change {
            object: ObjectRef { kind: Kind::Table, name: "public.users".into() },
            before: "id bigint not null, note text not null".into(),
            after: "id bigint not null, remark text not null, tier integer".into(),
        });
        let rename = ColumnRename { from: "note".into(), to: "remark".into() };
        f.migration.data.tables.push(TableChange {
            table: "public.users".into(),
            renamed_columns: vec![rename],
            ..Default::default()
        });
        let ctx = Context {
            migration: &f.migration,
            statements: &f.statements,
            rows: &f.rows,
            after: &f.after,
            diff: &f.diff,
            max_write_lock_ms: 1000,
        };
        let names: Vec<&str> = touched(&ctx).iter().map(|t| t.column.name).collect();
        assert_eq!(names, ["tier"]);
    }
}
