//! Other sessions' SQL as pgstage repeats it (the sessions blocking a migration, and those
//! kept waiting by one): normalised as `pg_stat_statements` shows queries, every constant
//! replaced by a parameter, so that an application's query keeps its shape but not the
//! personal data or token in it. Read with the splitter's lexer (psql's rules): string
//! literals of every kind (`'…'`, `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`), dollar-quoted
//! bodies and numbers become `$1`, `$2` … in order, numbered after the highest parameter the
//! query already has (those stay as they are); identifiers (quoted or not), keywords and
//! operators stay. Comments stay, with any quoted text in them blanked (`'…'`): tags such as
//! sqlcommenter's carry their values in quotes. A query cut short (`pg_stat_activity` keeps
//! its first `track_activity_query_size` bytes) inside a literal ends with a parameter.

use super::{Lexer, Tok, Token, Unclosed};

/// `sql` with its constants replaced by `$n` (see the module's documentation).
pub fn normalise(sql: &str) -> String {
    let (tokens, unclosed) = tokens(sql);
    let mut next = highest_parameter(sql, &tokens) + 1;
    let mut parameter = || {
        let p = format!("${next}");
        next += 1;
        p
    };
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < tokens.len() {
        let (tok, a, b) = tokens[i];
        let text = &sql[a..b];
        match tok {
            Tok::Comment => out.push_str(&blank_quotes(text)),
            // `arr[1:2]`: psql's lexer reads `:2` as a variable; the server, as `:` and `2`.
            Tok::Other if text.len() > 1 && text.starts_with(':') && text.as_bytes()[1].is_ascii_digit() => {
                out.push(':');
                out.push_str(&parameter());
            }
            Tok::Other => match constant(sql, &tokens, i) {
                Some(Constant::Parameter(end)) => {
                    out.push_str(&sql[a..tokens[end].2]);
                    i = end;
                }
                Some(Constant::Literal(end)) => {
                    out.push_str(&parameter());
                    i = end;
                }
                None => out.push_str(text),
            },
            _ => out.push_str(text),
        }
        i += 1;
    }
    if let Some((what, at)) = unclosed {
        match what {
            "block comment" => out.push_str(&blank_quotes(&sql[at..])),
            "quoted identifier" => out.push_str(&sql[at..]),
            _ => out.push_str(&parameter()),
        }
    }
    out
}

/// What the `Other` token at `i` starts.
enum Constant {
    /// `$n`, an existing parameter, ending at token index `.0`.
    Parameter(usize),
    /// A literal, ending at token index `.0`.
    Literal(usize),
}

fn constant(sql: &str, tokens: &[Token], i: usize) -> Option<Constant> {
    let (_, a, b) = tokens[i];
    let text = &sql.as_bytes()[a..b];
    // The next token, when it starts right where this one ends and is a number.
    let number_next = || {
        tokens.get(i + 1).filter(|(tok, start, _)| *tok == Tok::Other && *start == b && sql.as_bytes()[*start].is_ascii_digit())
    };
    match text {
        [b'$'] => number_next()
            .filter(|(_, start, end)| sql[*start..*end].bytes().all(|c| c.is_ascii_digit()))
            .map(|_| Constant::Parameter(i + 1)),
        [b'$', ..] => Some(Constant::Literal(i)),
        [b'.'] => number_next().map(|_| Constant::Literal(i + 1)),
        [b'\'', ..] | [b'e' | b'E' | b'b' | b'B' | b'x' | b'X' | b'n' | b'N', b'\'', ..] | [b'u' | b'U', b'&', b'\'', ..] => {
            Some(Constant::Literal(i))
        }
        [c, ..] if c.is_ascii_digit() => Some(Constant::Literal(i)),
        _ => None,
    }
}

/// Every token of `sql`, and the construct left open at its end (what, where), if any.
fn tokens(sql: &str) -> (Vec<Token>, Option<Unclosed>) {
    let mut lexer = Lexer { src: sql.as_bytes(), pos: 0, psql: false };
    let mut tokens = Vec::new();
    loop {
        match lexer.next_token() {
            Ok(Some(token)) => tokens.push(token),
            Ok(None) => return (tokens, None),
            Err(unclosed) => return (tokens, Some(unclosed)),
        }
    }
}

/// The highest `$n` parameter of `sql` (0 when none).
fn highest_parameter(sql: &str, tokens: &[Token]) -> u64 {
    (0..tokens.len())
        .filter_map(|i| match constant(sql, tokens, i) {
            Some(Constant::Parameter(end)) if tokens[i].0 == Tok::Other => {
                let (_, a, b) = tokens[end];
                sql[a..b].parse().ok()
            }
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// `comment` with each single-quoted run in it (to the comment's end when unclosed) as `'…'`.
fn blank_quotes(comment: &str) -> String {
    let mut out = String::with_capacity(comment.len());
    let mut parts = comment.split('\'');
    out.push_str(parts.next().unwrap_or_default());
    // Odd parts are inside quotes; an unclosed last one runs to the end.
    let rest: Vec<&str> = parts.collect();
    for (k, part) in rest.iter().enumerate() {
        if k % 2 == 0 {
            out.push_str(if k + 1 < rest.len() { "'…'" } else { "'…" });
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[track_caller]
    fn check(sql: &str, want: &str) {
        assert_eq!(normalise(sql), want, "{sql}");
    }

    #[test]
    fn string_literals_become_parameters_in_order() {
        check(
            "SELECT * FROM users WHERE email = 'alice@example.com' AND token = 'abc123'",
            "SELECT * FROM users WHERE email = $1 AND token = $2",
        );
        check("UPDATE t SET note = 'it''s' WHERE id = 7", "UPDATE t SET note = $1 WHERE id = $2");
        check(r"SELECT E'it\'s \\' || 'x'", "SELECT $1 || $2");
        check("SELECT B'1010', X'ff', N'naïve', U&'d\\0061t', e'\\n'", "SELECT $1, $2, $3, $4, $5");
        check("SELECT '1 day'::interval, date '2024-01-31'", "SELECT $1::interval, date $2");
        check("SELECT 'café' AS \"naïve\"", "SELECT $1 AS \"naïve\"");
    }

    #[test]
    fn dollar_quoted_bodies_become_parameters() {
        check("SELECT $$it's 'quoted'$$, $tag$ a $$ b $tag$ FROM t", "SELECT $1, $2 FROM t");
        check("DO $body$BEGIN PERFORM 'x'; END$body$", "DO $1");
    }

    #[test]
    fn numbers_become_parameters_and_identifiers_with_digits_stay() {
        check(
            "SELECT t1.c2 FROM t1 WHERE c2 > 3.5e-2 LIMIT 10 OFFSET .5",
            "SELECT t1.c2 FROM t1 WHERE c2 > $1 LIMIT $2 OFFSET $3",
        );
        check("SELECT a$1 FROM \"t 2\" WHERE x = -42", "SELECT a$1 FROM \"t 2\" WHERE x = -$1");
        check("SELECT arr[1:2]", "SELECT arr[$1:$2]");
    }

    #[test]
    fn existing_parameters_stay_and_new_ones_come_after_the_highest() {
        check(
            "SELECT * FROM t WHERE a = $2 AND b = 'x' AND c = $1 AND d = 5",
            "SELECT * FROM t WHERE a = $2 AND b = $3 AND c = $1 AND d = $4",
        );
        check("SELECT $1,$10::int, 'y'", "SELECT $1,$10::int, $11");
    }

    #[test]
    fn comments_stay_with_their_quoted_text_blanked() {
        check(
            "SELECT 1 /* ALTER ROLE app PASSWORD 'hunter2' */ -- don't 'x'\n, 'y'",
            "SELECT $1 /* ALTER ROLE app PASSWORD '…' */ -- don'…'x'…\n, $2",
        );
        check(
            "SELECT id FROM users /*controller='index',route='%2Fusers%2F42'*/",
            "SELECT id FROM users /*controller='…',route='…'*/",
        );
        check("-- it's\nSELECT 'secret'", "-- it'…\nSELECT $1");
    }

    #[test]
    fn a_query_cut_short_inside_a_literal_ends_with_a_parameter() {
        check("SELECT * FROM t WHERE token = 'abc12", "SELECT * FROM t WHERE token = $1");
        check("SELECT $q$ secret", "SELECT $1");
        check("SELECT 1 /* user='alice", "SELECT $1 /* user='…");
        check("SELECT \"unfinished", "SELECT \"unfinished");
    }

    #[test]
    fn nothing_to_replace_leaves_the_query_as_it_is() {
        for sql in ["", "SELECT now()", "LOCK TABLE public.workspaces IN ACCESS EXCLUSIVE MODE", "SELECT a::text FROM \"T\""] {
            check(sql, sql);
        }
    }
}
