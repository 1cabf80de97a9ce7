//! docs/configuration.md is generated from clap's help: this test fails
//! when it is stale. Regenerate with
//! `MXLENS_BLESS=1 cargo test -p mxlens-tests --test integration config_docs`.

use clap::CommandFactory;
use mxlens_backend::cli::Cli;

fn render() -> String {
    // Values set in the environment of the test run must not leak into
    // the document (clap prints `[env: NAME=value]` when set).
    let mut cmd = Cli::command().mut_subcommands(|sub| sub.mut_args(|a| a.hide_env_values(true)));
    cmd.build();
    let mut out = String::from(
        "# Configuration reference\n\n\
         Generated from the command line's own help (`mxlens help <command>`); do not edit by hand.\n\
         Regenerate with `MXLENS_BLESS=1 cargo test -p mxlens-tests --test integration config_docs`\n\
         (the test fails when this file is stale).\n\n\
         Every `serve` option can also be set with the environment variable shown as `[env: …]`;\n\
         a command-line flag wins over the environment. See docs/deployment.md for how they fit together.\n",
    );
    let mut sections = vec![("mxlens".to_string(), cmd.render_long_help().to_string())];
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("mxlens {}", sub.get_name());
        sections.push((name, sub.render_long_help().to_string()));
    }
    for (name, help) in sections {
        let help: String = help
            .lines()
            .map(|l| format!("{}\n", l.trim_end()))
            .collect();
        out.push_str(&format!("\n## `{name}`\n\n```text\n{help}```\n"));
    }
    out
}

#[test]
fn configuration_reference_is_current() {
    let path = mxlens_tests::repo_root().join("docs/configuration.md");
    let want = render();
    if std::env::var_os("MXLENS_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/configuration.md is stale: regenerate it with \
         MXLENS_BLESS=1 cargo test -p mxlens-tests --test integration config_docs"
    );
}
