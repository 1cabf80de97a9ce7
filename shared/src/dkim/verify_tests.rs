//! Tests of `verify.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18): admitting audit selectors.

use super::*;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn admits_valid_selectors_lower_cased_and_deduplicated() {
    assert_eq!(
        admit_selectors(&strings(&["S1", "s1", "google._domainkey", "k1.2024"])).unwrap(),
        strings(&["s1", "google", "k1.2024"])
    );
    assert_eq!(admit_selectors(&[]).unwrap(), Vec::<String>::new());
}

#[test]
fn refuses_bad_syntax_and_too_many() {
    for bad in ["", "a b", "-x", "x-", "a..b", "é", &"a".repeat(64)] {
        assert!(admit_selectors(&strings(&[bad])).is_err(), "{bad:?}");
    }
    let many: Vec<String> = (0..=MAX_AUDIT_SELECTORS).map(|i| format!("s{i}")).collect();
    assert!(admit_selectors(&many).unwrap_err().contains("at most 16"));
    // Repeats of one selector are one selector.
    let repeated = vec!["s1".to_string(); 10_000];
    assert_eq!(admit_selectors(&repeated).unwrap(), strings(&["s1"]));
    // A huge hostile entry is quoted short in the error.
    let huge = "x ".repeat(100_000);
    assert!(admit_selectors(&[huge]).unwrap_err().len() < 300);
}
