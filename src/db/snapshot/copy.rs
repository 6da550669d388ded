//! Catalog rows read with `COPY (query) TO STDOUT` in text format, and parsed here: for the
//! big catalogs (40,000 relations, columns or indexes) the client decodes them several times
//! faster than a query's rows, and the server writes text arrays faster than binary ones.

use std::pin::pin;

use futures_util::TryStreamExt;
use tokio_postgres::Client;

use crate::db::DbError;

/// The rows of one `COPY … TO STDOUT`, unescaped; fields are slices of one string.
pub(super) struct CopyRows {
    text: String,
    /// Per field, its byte range in `text`, `None` for NULL; `width` fields per row.
    fields: Vec<Option<(u32, u32)>>,
    width: usize,
}

impl CopyRows {
    /// Run `select` (a query returning `width` columns) through COPY and parse what it sent.
    pub(super) async fn read(client: &Client, select: &str, width: usize) -> Result<Self, DbError> {
        let stream = client.copy_out(format!("COPY ({select}) TO STDOUT").as_str()).await.map_err(DbError::query)?;
        let mut stream = pin!(stream);
        let mut data = Vec::new();
        while let Some(chunk) = stream.try_next().await.map_err(DbError::query)? {
            data.extend_from_slice(&chunk);
        }
        Self::parse(&data, width)
    }

    /// Parse COPY's text format: rows end with a newline, fields are separated by tabs, `\N`
    /// is NULL, and backslash escapes stand for backslashes and control characters. One pass;
    /// only fields with an escape are copied.
    pub(super) fn parse(data: &[u8], width: usize) -> Result<Self, DbError> {
        let mut text = Vec::with_capacity(data.len());
        let mut fields = Vec::with_capacity(data.len() / 8);
        let (mut start, mut escaped, mut in_row) = (0, false, 0);
        for (i, &b) in data.iter().enumerate() {
            match b {
                b'\t' | b'\n' => {
                    let field = &data[start..i];
                    if field == b"\\N" {
                        fields.push(None);
                    } else {
                        let at = text.len();
                        if escaped {
                            unescape(field, &mut text);
                        } else {
                            text.extend_from_slice(field);
                        }
                        fields.push(Some((at as u32, text.len() as u32)));
                    }
                    (start, escaped, in_row) = (i + 1, false, in_row + 1);
                    if b == b'\n' {
                        if in_row != width {
                            return Err(DbError::Query(format!("catalog COPY: a row has {in_row} fields, {width} expected")));
                        }
                        in_row = 0;
                    }
                }
                b'\\' => escaped = true,
                _ => {}
            }
        }
        if start != data.len() {
            return Err(DbError::Query("catalog COPY: the last row is cut short".into()));
        }
        let text = String::from_utf8(text).map_err(|e| DbError::Query(format!("catalog COPY: not UTF-8: {e}")))?;
        Ok(CopyRows { text, fields, width })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.fields.len() / self.width.max(1)
    }

    pub(super) fn rows(&self) -> impl Iterator<Item = CopyRow<'_>> {
        self.fields.chunks_exact(self.width.max(1)).map(|fields| CopyRow { text: &self.text, fields })
    }
}

/// Append `field` with COPY's escapes undone.
fn unescape(field: &[u8], out: &mut Vec<u8>) {
    let mut bytes = field.iter().copied();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'v') => out.push(0x0b),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
}

/// One row of a [`CopyRows`]. The getters read what the catalog queries send; a value that
/// does not parse reads as 0 / false / empty, which no catalog row holds.
#[derive(Clone, Copy)]
pub(super) struct CopyRow<'a> {
    text: &'a str,
    fields: &'a [Option<(u32, u32)>],
}

impl<'a> CopyRow<'a> {
    pub(super) fn opt(&self, i: usize) -> Option<&'a str> {
        self.fields.get(i).copied().flatten().map(|(s, e)| &self.text[s as usize..e as usize])
    }

    pub(super) fn str(&self, i: usize) -> &'a str {
        self.opt(i).unwrap_or("")
    }

    pub(super) fn oid(&self, i: usize) -> u32 {
        self.str(i).parse().unwrap_or(0)
    }

    pub(super) fn int2(&self, i: usize) -> i16 {
        self.str(i).parse().unwrap_or(0)
    }

    /// A boolean (`t` / `f`).
    pub(super) fn bool(&self, i: usize) -> bool {
        self.str(i) == "t"
    }

    /// A `"char"` (`relkind`, `contype`…), as its byte.
    pub(super) fn char(&self, i: usize) -> u8 {
        self.str(i).bytes().next().unwrap_or(0)
    }

    /// The numbers of an `int2vector` / `oidvector` (`1 2`) or a one-dimensional array
    /// (`{1,2}`); empty for NULL.
    pub(super) fn numbers<T: std::str::FromStr + Default>(&self, i: usize) -> impl Iterator<Item = T> + 'a {
        self.str(i).split([' ', ',', '{', '}']).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_nulls_and_escapes() {
        let data = b"1\tplain\t\\N\tt\n2\ttab\\there\\\\ and \\nnewline\t{1,-2}\tf\n";
        let rows = CopyRows::parse(data, 4).unwrap();
        assert_eq!(rows.len(), 2);
        let all: Vec<CopyRow> = rows.rows().collect();
        assert_eq!((all[0].oid(0), all[0].str(1), all[0].opt(2), all[0].bool(3)), (1, "plain", None, true));
        assert_eq!(all[1].str(1), "tab\there\\ and \nnewline");
        assert_eq!(all[1].numbers::<i16>(2).collect::<Vec<_>>(), [1, -2]);
        assert!(!all[1].bool(3));
    }

    #[test]
    fn vectors_chars_and_utf8() {
        let rows = CopyRows::parse("r\t1 3 2\tcafé \\\"x\\\"\n".as_bytes(), 3).unwrap();
        let row = rows.rows().next().unwrap();
        assert_eq!(row.char(0), b'r');
        assert_eq!(row.numbers::<u32>(1).collect::<Vec<_>>(), [1, 3, 2]);
        assert_eq!(row.str(2), "café \"x\"");
    }

    #[test]
    fn a_row_of_the_wrong_width_is_an_error() {
        let error = CopyRows::parse(b"1\t2\n3\n", 2).err().unwrap();
        assert!(error.to_string().contains("1 fields, 2 expected"), "{error}");
        let error = CopyRows::parse(b"1\t2\n3\t4", 2).err().unwrap();
        assert!(error.to_string().contains("cut short"), "{error}");
    }
}
