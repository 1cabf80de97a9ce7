//! The compact Public Suffix List in `mxlens_shared::org_domain` must give
//! exactly the answers of the `psl` crate it replaced (a dev-dependency
//! here only). Also holds the generator of `shared/data/public_suffix_list.dat`.

use mxlens_shared::org_domain::{is_public_suffix, organizational_domain};

const DATA: &str = include_str!("../data/public_suffix_list.dat");

fn psl_organizational_domain(name: &str) -> String {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    match psl::domain_str(&lower) {
        Some(org) => org.to_string(),
        None => lower,
    }
}

fn psl_is_public_suffix(name: &str) -> bool {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    psl::suffix_str(&lower) == Some(lower.as_str())
}

/// The rules of the committed trie (with `!`/`*.` markers), decoded by an
/// independent recursive reader of the format documented in org_domain.rs.
fn rules() -> Vec<String> {
    fn read(bytes: &[u8], i: &mut usize, suffix: &str, out: &mut Vec<String>) {
        loop {
            let start = *i;
            while *i < bytes.len() && !b"~*!(),\n".contains(&bytes[*i]) {
                *i += 1;
            }
            let label = std::str::from_utf8(&bytes[start..*i]).unwrap();
            let name = if suffix.is_empty() {
                label.to_string()
            } else {
                format!("{label}.{suffix}")
            };
            let (mut rule, mut wildcard) = (true, false);
            while *i < bytes.len() && b"~*!".contains(&bytes[*i]) {
                match bytes[*i] {
                    b'~' => rule = false,
                    b'*' => wildcard = true,
                    _ => {
                        rule = false;
                        out.push(format!("!{name}"));
                    }
                }
                *i += 1;
            }
            if rule {
                out.push(name.clone());
            }
            if wildcard {
                out.push(format!("*.{name}"));
            }
            if bytes.get(*i) == Some(&b'(') {
                *i += 1;
                read(bytes, i, &name, out);
                assert_eq!(bytes[*i], b')');
                *i += 1;
            }
            match bytes.get(*i) {
                Some(b',') if !suffix.is_empty() => *i += 1,
                Some(b'\n') if suffix.is_empty() => {
                    *i += 1;
                    if *i == bytes.len() {
                        return;
                    }
                }
                _ => return,
            }
        }
    }
    let body: String = DATA
        .lines()
        .filter(|l| !l.starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    read(body.as_bytes(), &mut i, "", &mut out);
    assert_eq!(i, body.len(), "trailing bytes in the table");
    out
}

/// A small deterministic PRNG (xorshift) so the test needs no `rand`.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Names derived from every rule: the rule itself, its parents, one and two
/// labels more, the wildcard filled in (including with the exception's own
/// label), upper case, trailing dots, empty labels and mixed IDN forms.
fn candidate_names() -> Vec<String> {
    let rules = rules();
    let mut names = Vec::new();
    let extra = [
        "www",
        "mail",
        "a",
        "city",
        "xn--bcher-kva",
        "bücher",
        "-",
        "_dmarc",
        "ex",
        "in",
        "r",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for rule in &rules {
        let rule = rule.as_str();
        let base = rule.trim_start_matches('!').trim_start_matches("*.");
        let labels: Vec<&str> = base.split('.').collect();
        for i in 0..labels.len() {
            names.push(labels[i..].join("."));
        }
        for e in extra {
            names.push(format!("{e}.{base}"));
            names.push(format!("x.{e}.{base}"));
            names.push(format!("deep.x.{e}.{base}"));
        }
        names.push(format!("{}.{base}", rng.pick(&extra)));
        names.push(format!("Sub.{}.", base.to_uppercase()));
        names.push(format!(".{base}"));
        names.push(format!("a..{base}"));
        names.push(format!("{base}.."));
        // Graft this rule's left part onto a random other rule's suffix.
        let other = rng
            .pick(&rules)
            .trim_start_matches('!')
            .trim_start_matches("*.");
        names.push(format!("x.{}.{other}", labels[0]));
    }
    names.extend(
        [
            "",
            ".",
            "..",
            "com",
            "example.com",
            "unknowntld",
            "a.b.unknowntld",
            "ck",
            "www.ck",
            "a.www.ck",
            "foo.ck",
            "a.foo.ck",
            "city.kawasaki.jp",
            "x.city.kawasaki.jp",
            "kawasaki.jp",
            "foo.kawasaki.jp",
            "x.foo.kawasaki.jp",
            "blogspot.com",
            "x.blogspot.com",
            "github.io",
            "user.github.io",
            "a.user.github.io",
            "example.中国",
            "x.example.xn--fiqs8s",
            "公司.cn",
            "x.公司.cn",
            "x.xn--55qx5d.cn",
            "in.futurecms.at",
            "x.in.futurecms.at",
            "y.x.in.futurecms.at",
            "r.cloud.int.apple",
            "x.r.cloud.int.apple",
            "a.x.r.cloud.int.apple",
            "ÄÖÜ.de",
            "example.COM.",
            "münchen.de",
            "a.b.c.d.e.f.g",
            "a b.com",
            "@.com",
            "x.*.ck",
            "*.ck",
            "!www.ck",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    names
}

#[test]
fn same_answers_as_the_psl_crate() {
    let names = candidate_names();
    assert!(names.len() > 100_000, "only {} names", names.len());
    let mut mismatches = Vec::new();
    for name in &names {
        let (ours, theirs) = (organizational_domain(name), psl_organizational_domain(name));
        if ours != theirs {
            mismatches.push(format!(
                "organizational_domain({name:?}): {ours:?} != psl {theirs:?}"
            ));
        }
        let (ours, theirs) = (is_public_suffix(name), psl_is_public_suffix(name));
        if ours != theirs {
            mismatches.push(format!(
                "is_public_suffix({name:?}): {ours} != psl {theirs}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} names differ, first ones:\n{}",
        mismatches.len(),
        names.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}

#[test]
fn table_covers_wildcards_exceptions_private_and_idn() {
    let rules = rules();
    for wanted in [
        "*.ck",
        "!www.ck",
        "blogspot.com",
        "github.io",
        "中国",
        "xn--fiqs8s",
    ] {
        assert!(
            rules.iter().any(|r| r == wanted),
            "{wanted} missing from the table"
        );
    }
    // The header states how many rules the generator wrote.
    let stated: usize = DATA
        .lines()
        .find_map(|l| l.strip_prefix("// Source: "))
        .and_then(|l| l.rsplit(", ").next())
        .and_then(|l| l.strip_suffix(" rules."))
        .and_then(|n| n.parse().ok())
        .expect("rule count in the header");
    assert_eq!(rules.len(), stated);
    assert!(rules.len() > 10_000);
}

/// Rewrites `shared/data/public_suffix_list.dat` from the `rules.txt` that the
/// `psl` crate was generated from, adding the A-label (punycode) form of each
/// IDN rule as psl-codegen does:
/// `PSL_RULES=~/.cargo/registry/src/*/psl-2.1.247/data/rules.txt cargo test -p mxlens-shared --test psl_compat -- --ignored`
#[test]
#[ignore = "generator: run by hand when bumping the psl dev-dependency"]
fn regenerate_table() {
    let path = std::env::var("PSL_RULES").expect("PSL_RULES=path/to/psl/data/rules.txt");
    let text = std::fs::read_to_string(&path).expect("read rules.txt");
    let mut rules: Vec<String> = Vec::new();
    for line in text.lines() {
        let rule = line.split_whitespace().next().unwrap_or("");
        if rule.is_empty() || rule.starts_with("//") {
            continue;
        }
        rules.push(rule.to_string());
        if !rule.is_ascii() {
            let ascii: Vec<String> = rule
                .split('.')
                .map(|label| {
                    if label.is_ascii() {
                        label.to_string()
                    } else {
                        format!(
                            "xn--{}",
                            idna::punycode::encode_str(label).expect("punycode")
                        )
                    }
                })
                .collect();
            rules.push(ascii.join("."));
        }
    }
    rules.sort();
    rules.dedup();
    // Build the trie: label -> (is rule, has wildcard, is exception, children).
    #[derive(Default)]
    struct Node {
        rule: bool,
        wildcard: bool,
        exception: bool,
        children: std::collections::BTreeMap<String, Node>,
    }
    let mut root = Node::default();
    for rule in &rules {
        let (name, kind) = if let Some(name) = rule.strip_prefix('!') {
            (name, '!')
        } else if let Some(name) = rule.strip_prefix("*.") {
            (name, '*')
        } else {
            (rule.as_str(), '+')
        };
        let mut node = &mut root;
        for label in name.rsplit('.') {
            node = node.children.entry(label.to_string()).or_default();
        }
        match kind {
            '!' => node.exception = true,
            '*' => node.wildcard = true,
            _ => node.rule = true,
        }
    }
    fn write(
        children: &std::collections::BTreeMap<String, Node>,
        separator: &str,
        out: &mut String,
    ) {
        for (k, (label, node)) in children.iter().enumerate() {
            if k > 0 {
                out.push_str(separator);
            }
            out.push_str(label);
            if node.exception {
                assert!(!node.rule && !node.wildcard && node.children.is_empty());
                out.push('!');
            } else {
                if !node.rule {
                    out.push('~');
                }
                if node.wildcard {
                    out.push('*');
                }
            }
            if !node.children.is_empty() {
                out.push('(');
                write(&node.children, ",", out);
                out.push(')');
            }
        }
    }
    let mut out = String::from(
        "// Public Suffix List rules (https://publicsuffix.org/list/), Mozilla Public\n\
         // License 2.0. Generated by shared/tests/psl_compat.rs (regenerate_table)\n\
         // from the data/rules.txt of the psl crate, plus the A-label form of\n\
         // each IDN rule. Trie format: see shared/src/org_domain.rs.\n",
    );
    let source = std::path::Path::new(&path)
        .ancestors()
        .nth(2)
        .and_then(|dir| dir.file_name())
        .map_or("psl".into(), |name| name.to_string_lossy());
    out.push_str(&format!(
        "// Source: {source} data/rules.txt, {} rules.\n",
        rules.len()
    ));
    write(&root.children, "\n", &mut out);
    out.push('\n');
    let target = concat!(env!("CARGO_MANIFEST_DIR"), "/data/public_suffix_list.dat");
    std::fs::write(target, out).expect("write table");
}
