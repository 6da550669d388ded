//! `pgstage import RUNBOOK.md`: a plan drafted from a Markdown run-book.
