//! psql's meta-commands as pgstage follows them: substitution and quoting as psql makes them,
//! conditionals on constants, includes, and the refusals, each at line and column.

use std::path::{Path, PathBuf};

use super::super::{SplitError, Statement, locate};
use super::split;

fn run(script: &str) -> Result<Vec<Statement>, SplitError> {
    split(script, Path::new("deploy/x.sql"), Path::new("deploy/x.sql"))
}

fn sql(script: &str) -> Vec<String> {
    run(script).unwrap_or_else(|e| panic!("{e}")).into_iter().map(|s| s.sql).collect()
}

fn refused(script: &str) -> (usize, usize, String) {
    let e = run(script).expect_err(script);
    let (_, line, column, message) = e.located();
    (line, column, message)
}

#[test]
fn variables_are_substituted_as_psql_does() {
    let script = "\\set schema app\n\\set owner 'o''brien'\nCREATE SCHEMA :schema;\nCOMMENT ON SCHEMA :\"schema\" IS :'owner';\n\
                  SELECT ':schema', $$:schema$$, 1::int -- :schema\n;";
    assert_eq!(
        sql(script),
        ["CREATE SCHEMA app", "COMMENT ON SCHEMA \"app\" IS 'o''brien'", "SELECT ':schema', $$:schema$$, 1::int -- :schema",],
        "not inside quotes, dollar quotes, comments or casts"
    );
    // Unset: left as written, as psql leaves it.
    assert_eq!(sql("SELECT :nope, :'nope', :\"nope\";"), ["SELECT :nope, :'nope', :\"nope\""]);
    // The values joined; quoting as psql's: doubled quotes, E'' for a backslash, "" in a name.
    assert_eq!(sql("\\set v a 'b c' d\nSELECT :'v';"), ["SELECT 'ab cd'"]);
    assert_eq!(sql("\\set p 'a\\\\b'\nSELECT :'p';"), ["SELECT  E'a\\\\b'"]);
    assert_eq!(sql("\\set n 'Od\"d'\nSELECT 1 AS :\"n\";"), ["SELECT 1 AS \"Od\"\"d\""]);
    assert_eq!(sql("\\set a 1\n\\set b :a:a\nSELECT :b, :{?a}, :{?z};"), ["SELECT 11, TRUE, FALSE"]);
    // \unset, and the output-only commands leave nothing to send.
    assert_eq!(
        sql("\\echo deploying :a\n\\set v 1\n\\unset v\nSELECT :v;\n\\qecho x\n\\warn y\n\\pset pager off"),
        ["SELECT :v"]
    );
    // A meta-command inside a statement runs; the statement goes on without it.
    assert_eq!(sql("\\set t 1\nSELECT :t,\n\\set t 2\n:t;"), ["SELECT 1,\n\n2"]);
    // `\\` ends a meta-command; SQL goes on on the same line.
    assert_eq!(sql("\\set t 3 \\\\ SELECT :t;"), ["SELECT 3"]);
}

#[test]
fn conditionals_on_constants() {
    let script = "\\set on true\n\\if :on\nSELECT 1;\n\\elif true\nSELECT 2;\n\\else\nSELECT 3;\n\\endif\n\
                  \\if :{?missing}\nSELECT 4;\n\\elif off\nSELECT 5;\n\\else\nSELECT 6;\n\\endif";
    assert_eq!(sql(script), ["SELECT 1", "SELECT 6"]);
    // Inside a false branch nothing is read: not the inner \if's value, not a \gexec.
    assert_eq!(sql("\\if 0\n\\if bogus\nSELECT 1;\n\\gexec\n\\endif\n\\set x 1\n\\endif\nSELECT :x;"), ["SELECT :x"]);
    for (value, taken) in [("yes", true), ("T", true), ("on", true), ("1", true), ("n", false), ("OFF", false), ("0", false)] {
        let got = sql(&format!("\\if {value}\nSELECT 1;\n\\endif"));
        assert_eq!(got.len() == 1, taken, "{value}");
    }
}

#[test]
fn the_others_are_refused_by_name_at_line_and_column() {
    let (line, column, message) = refused("SELECT 1;\n  \\gexec\n");
    assert_eq!((line, column), (2, 3));
    assert!(message.starts_with("psql meta-command \\gexec is not supported: pgstage follows \\set"), "{message}");
    for (script, at, words) in [
        ("\\copy t from 'x.csv'", (1, 1), "psql meta-command \\copy is not supported"),
        ("\\c other", (1, 1), "psql meta-command \\c is not supported"),
        ("SELECT 1;\n\\if maybe\n\\endif", (2, 1), "\\if maybe: not a boolean"),
        ("\\if o\n\\endif", (1, 1), "\\if o: not a boolean"),
        ("\\else\n", (1, 1), "\\else without \\if"),
        ("\\if true\n\\else\n\\elif false\n\\endif", (3, 1), "\\elif after \\else"),
        ("SELECT 1;\n \\if true\nSELECT 2;", (2, 2), "\\if without \\endif in the same file"),
        ("\\set x `date`", (1, 8), "a backquoted shell command"),
        ("SELECT 1,\n\\if true\n\\endif\n2;", (2, 1), "\\if inside an unfinished statement"),
        ("\\set x 'a;b'\nSELECT\n  :x;", (3, 3), "the value of :x (a;b) holds quotes"),
        ("\\set x 'open", (1, 8), "\\set: unterminated quoted string"),
    ] {
        let (line, column, message) = refused(script);
        assert_eq!((line, column), at, "{script}: {message}");
        assert!(message.contains(words), "{script}: {message}");
    }
    // Where psql is not the runner (a check's SQL), every meta-command is refused.
    let e = super::super::split("\\set x 1").unwrap_err();
    assert_eq!(e.to_string(), "psql meta-command \\set is not supported: plain SQL expected here (line 1, column 1)");
}

#[test]
fn a_server_position_maps_back_through_a_substitution() {
    let script = "\\set t very_long_table_name\nSELECT x FROM :t WHERE bogus;";
    let s = &run(script).unwrap()[0];
    assert_eq!(s.sql, "SELECT x FROM very_long_table_name WHERE bogus");
    let at = |word: &str| s.sql.find(word).unwrap() + 1;
    assert_eq!(locate(script, s, at("bogus")), (2, 24), "after the value: where the script has it");
    assert_eq!(locate(script, s, at("long")), (2, 15), "inside the value: at the reference");
    assert_eq!(locate(script, s, at("x")), (2, 8), "before it: unchanged");
}

fn folder(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgstage-psql-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    dir
}

#[test]
fn includes_relative_to_the_file_share_the_variables_and_name_their_file() {
    let dir = folder("include");
    std::fs::write(dir.join("lib/schema.sql"), "\u{feff}CREATE SCHEMA :s;\n\\set t :s.items\n").unwrap();
    std::fs::write(dir.join("lib/bad.sql"), "SELECT 1;\n  \\gexec\n").unwrap();
    let main = dir.join("main.sql");
    let script = "\\set s app\n\\ir lib/schema.sql\nCREATE TABLE :t ();";
    let statements = split(script, &main, Path::new("shown/main.sql")).unwrap();
    let got: Vec<(&str, usize, Option<&str>)> =
        statements.iter().map(|s| (s.sql.as_str(), s.line, s.included.as_ref().map(|f| f.shown.as_str()))).collect();
    assert_eq!(got, [("CREATE SCHEMA app", 1, Some("shown/lib/schema.sql")), ("CREATE TABLE app.items ()", 3, None)]);
    assert_eq!(statements[0].source("shown/main.sql", script).0, "shown/lib/schema.sql");

    let e = split("SELECT 0;\n\\ir lib/bad.sql", &main, Path::new("shown/main.sql")).unwrap_err();
    let (file, line, column, message) = e.located();
    assert_eq!((file, line, column), (Some("shown/lib/bad.sql"), 2, 3), "{message}");
    let e = split("\\ir lib/none.sql", &main, Path::new("main.sql")).unwrap_err();
    assert!(e.located().3.starts_with("\\ir lib/none.sql: cannot read lib/none.sql: "), "{e}");
    let e = split("\\i lib/none.sql", &main, Path::new("main.sql")).unwrap_err();
    assert!(e.located().3.ends_with("(psql reads a \\i path from its working directory; \\ir reads it beside this file)"), "{e}");
    std::fs::write(dir.join("lib/loop.sql"), "\\ir loop.sql\n").unwrap();
    let e = split("\\ir lib/loop.sql", &main, Path::new("main.sql")).unwrap_err();
    assert!(e.to_string().contains("included more than 16 deep"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}
