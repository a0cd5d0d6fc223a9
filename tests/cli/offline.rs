//! CLI behaviour that needs no cloud: flags, exit codes, colour, validate, fmt, --target, graph.

use crate::harness::Workdir;
use crate::support::{fixture, run_with_colour_env};

#[test]
fn flag_errors_exit_1_and_help_exits_0() {
    let w = Workdir::new();
    let r = w.run(&["plan", "--no-such-flag"]);
    r.expect_code(1);
    assert!(r.stderr.contains("--no-such-flag"), "{}", r.stderr);
    let r = w.run(&["--help"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("plan"),
        "help goes to stdout: {}",
        r.stdout
    );
}

#[test]
fn a_directory_without_stack_files_is_an_error_with_a_hint() {
    let w = Workdir::new();
    std::fs::create_dir_all(w.path().join("empty")).unwrap();
    let r = w.run(&["validate", "empty"]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("no *.toml files in empty"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert!(
        r.stdout.is_empty(),
        "errors never reach stdout: {}",
        r.stdout
    );
}

#[test]
fn validate_accepts_every_example() {
    let w = Workdir::new();
    for ex in [
        "huawei-basic",
        "huawei-platform",
        "huawei-upgrade",
        "quickstart",
    ] {
        let dir = w.example(ex);
        let r = w.run(&["validate", dir.to_str().unwrap()]);
        r.expect_code(0);
        assert!(r.stderr.contains("is valid"), "{ex}: {}", r.stderr);
    }
}

#[test]
fn validate_reports_every_problem_with_file_line_col() {
    let w = Workdir::new();
    let dir = w.stack(
        "bad",
        &[(
            "main.toml",
            r#"[providers.huawei]
region = "ap-southeast-1"
project_id = "p"

[resources.huawei_autopilot_cluster.a]
name = "a"
flavor = "cce.autopilot.cluster"
vpc_id = "v"
subnet_id = "s"
verson = "v1.28"

[resources.huawei_autopilot_addon.x]
cluster_id = "${huawei_autopilot_cluster.nope.id}"
template = 5
"#,
        )],
    );
    let r = w.run(&["validate", dir.to_str().unwrap()]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("main.toml:10:1"),
        "unknown attribute located: {}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `version`?"), "{}", r.stderr);
    assert!(
        r.stderr.contains("huawei_autopilot_cluster.nope"),
        "dangling reference named: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("main.toml:14:"),
        "type error located: {}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn json_validate_prints_to_stdout() {
    let w = Workdir::new();
    let dir = w.example("huawei-basic");
    let r = w.run(&["validate", "--json", dir.to_str().unwrap()]);
    r.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON on stdout");
    assert_eq!(v["valid"], true);
    assert_eq!(v["resources"], 1);
}

#[test]
fn fmt_check_fails_on_unformatted_files_and_fmt_fixes_them_keeping_comments() {
    let w = Workdir::new();
    let dir = w.stack("s", &[("main.toml", "# keep me\n[stack]\nname=\"s\"   \n")]);
    let d = dir.to_str().unwrap();
    let r = w.run(&["fmt", "--check", d]);
    r.expect_code(1);
    assert!(r.stdout.contains("main.toml"), "{}", r.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.join("main.toml")).unwrap(),
        "# keep me\n[stack]\nname=\"s\"   \n"
    );
    w.run(&["fmt", d]).expect_code(0);
    let text = std::fs::read_to_string(dir.join("main.toml")).unwrap();
    assert!(text.contains("# keep me"), "{text}");
    assert!(text.contains("name = \"s\"\n"), "{text}");
    w.run(&["fmt", "--check", d]).expect_code(0);
}

#[test]
fn no_colour_on_a_pipe_with_or_without_no_color() {
    let w = Workdir::new();
    let dir = fixture(&w, "vars");
    let d = dir.to_str().unwrap();
    let plan = ["plan", d, "--refresh=false"];
    let with_flag = ["--no-color", "plan", d, "--refresh=false"];
    let failing = ["plan", d, "--refresh=false", "--var", "nope=1"];
    for (args, env) in [
        (&plan[..], &[][..]),
        (&with_flag[..], &[][..]),
        (&plan[..], &[("NO_COLOR", "1")][..]),
        (&failing[..], &[][..]),
        (&failing[..], &[("NO_COLOR", "1")][..]),
    ] {
        let r = run_with_colour_env(&w, args, env);
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
        assert!(
            !r.stdout.contains('\x1b') && !r.stderr.contains('\x1b'),
            "ANSI escape with {args:?} {env:?}:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
    let r = run_with_colour_env(&w, &plan, &[]);
    assert!(
        r.stdout
            .contains("huawei_autopilot_cluster.c will be created"),
        "{}",
        r.stdout
    );
    let r = run_with_colour_env(&w, &failing, &[]);
    assert!(r.stderr.contains("error: "), "{}", r.stderr);
}

#[test]
fn target_limits_the_plan_to_the_target_and_what_it_depends_on() {
    let w = Workdir::new();
    let dir = fixture(&w, "two-clusters");
    let d = dir.to_str().unwrap();
    let planned = |extra: &[&str]| -> (Vec<String>, serde_json::Value) {
        let mut args = vec!["plan", d, "--refresh=false", "--json"];
        args.extend_from_slice(extra);
        let r = w.run(&args);
        r.expect_code(0);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan JSON");
        let addrs = v["resource_changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| c["address"].as_str().unwrap_or_default().to_string())
            .collect();
        (addrs, v["targets"].clone())
    };
    let (all, targets) = planned(&[]);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(targets, serde_json::json!([]));
    let (addrs, targets) = planned(&["--target", "huawei_autopilot_addon.dns"]);
    assert_eq!(
        addrs,
        ["huawei_autopilot_cluster.a", "huawei_autopilot_addon.dns"]
    );
    assert_eq!(targets, serde_json::json!(["huawei_autopilot_addon.dns"]));
    let (addrs, _) = planned(&["--target", "huawei_autopilot_cluster.b"]);
    assert_eq!(addrs, ["huawei_autopilot_cluster.b"]);

    let r = w.run(&["plan", d, "--refresh=false", "--target", "not an address"]);
    r.expect_code(1);
    assert!(r.stderr.contains("--target not an address"), "{}", r.stderr);
}

#[test]
fn apply_graph_orders_creates_after_what_they_depend_on() {
    let w = Workdir::new();
    let dir = fixture(&w, "two-clusters");
    let r = w.run(&["graph", "--type", "apply", dir.to_str().unwrap()]);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("digraph clusterform {"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\"huawei_autopilot_cluster.a\" -> \"huawei_autopilot_addon.dns\";"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "\"huawei_autopilot_cluster.b\" [label = \"huawei_autopilot_cluster.b\\n(create)\"];"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("->").count(), 1, "{}", r.stdout);
}

#[test]
fn fmt_keeps_every_comment_of_an_unformatted_stack() {
    let w = Workdir::new();
    let dir = fixture(&w, "unformatted");
    let d = dir.to_str().unwrap();
    let file = dir.join("main.toml");
    let original = std::fs::read(&file).unwrap();

    let r = w.run(&["fmt", "--check", d]);
    r.expect_code(1);
    assert!(r.stdout.contains("main.toml"), "{}", r.stdout);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original,
        "--check changes nothing"
    );

    w.run(&["fmt", d]).expect_code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    let comments = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.find('#').map(|i| l[i..].to_string()))
            .collect()
    };
    let before = comments(std::str::from_utf8(&original).unwrap());
    assert_eq!(before.len(), 4, "the fixture's comments: {before:?}");
    assert_eq!(comments(&text), before, "{text}");
    assert!(text.contains("name = \"fmt\""), "{text}");
    assert!(
        text.contains("tags = { env = \"prod\", team = \"t\" }"),
        "{text}"
    );

    w.run(&["fmt", "--check", d]).expect_code(0);
    w.run(&["fmt", d]).expect_code(0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "fmt is idempotent"
    );
    w.run(&["validate", d]).expect_code(0);
}
