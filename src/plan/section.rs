//! The sections of a plan whose checks a run records, by the names plans and run results
//! give them ("preflight", "verification", …), in run order.

use super::text_enum::text_enum;

text_enum! {
    /// A section of checks, as `SectionsPass` names it and a run result files its checks.
    pub enum Section: "section" {
        Preflight = "preflight",
        Verification = "verification",
        SchemaSummary = "schema_summary",
        Integrity = "integrity",
        SampleData = "sample_data",
        Rls = "rls",
        Performance = "performance",
        Rollback = "rollback",
    }
}

#[cfg(test)]
mod tests {
    use super::Section;

    #[test]
    fn sections_read_and_write_as_their_plan_names() {
        for s in Section::ALL {
            assert_eq!(s.as_str().parse::<Section>(), Ok(*s));
            assert_eq!(ron::to_string(s).unwrap(), format!("\"{s}\""));
            assert_eq!(ron::from_str::<Section>(&format!("\"{s}\"")).unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        let e = "verfication".parse::<Section>().unwrap_err();
        assert!(e.to_string().starts_with("unknown section \"verfication\", expected one of: preflight, verification"), "{e}");
        assert!(ron::from_str::<Section>("\"verfication\"").is_err());
        assert_eq!(format!("{:<14}|", Section::Rls), "rls           |");
    }
}
