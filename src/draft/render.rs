//! A drafted plan as RON text: a header comment (the title first, then what to review),
//! then the plan, every field written out.

use crate::plan::Plan;

/// The plan file's text.
pub fn plan_text(plan: &Plan, header: &[String]) -> String {
    // Unescaped strings: SQL keeps its quotes readable (raw strings where it needs them).
    let pretty = ron::ser::PrettyConfig::new().struct_names(false).indentor("    ".to_owned()).escape_strings(false);
    let body = ron::ser::to_string_pretty(plan, pretty).expect("a plan is plain data and always serializes");
    let mut out = String::new();
    for line in header {
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            out.push_str(&format!("// {line}\n"));
        }
    }
    out.push_str(&body);
    out.push('\n');
    out
}
