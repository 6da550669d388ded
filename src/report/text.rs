//! Text made safe for each format: [`escape`] for HTML, SVG and XML, [`cell`] for a Markdown
//! table cell or line of prose. Every report writer goes through one of these.

/// Text for HTML, SVG and XML (text and attribute values alike): `& < > " '` become
/// references, and characters XML 1.0 forbids (C0 controls other than tab, newline and carriage
/// return) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for a Markdown table cell or a line of prose: inline HTML, table pipes and emphasis
/// cannot break out; newlines become `<br>`.
pub fn cell(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            // Only where it could open a tag, a comment or an autolink ("5 ms < 10 ms" stays).
            '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) => out.push_str("&lt;"),
            '>' if out.is_empty() => out.push_str("&gt;"),
            '&' => {
                // Only where it would start a character reference.
                let rest: String = chars.clone().take(12).collect();
                let entity =
                    rest.find(';').is_some_and(|i| i > 0 && rest[..i].chars().all(|x| x.is_ascii_alphanumeric() || x == '#'));
                out.push_str(if entity { "&amp;" } else { "&" });
            }
            '|' | '\\' | '*' | '`' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c if c.is_control() && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
