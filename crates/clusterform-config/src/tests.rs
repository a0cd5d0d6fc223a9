//! Whole-stack tests of `load`: a valid stack lowered end to end, multi-file stacks, and the
//! rules that span blocks (references, dependency cycles, duplicates across files).

use clusterform_model::{Address, Value};

use crate::test_support::*;
use crate::{load, BackendConfig, Expr, Reference, TemplatePart};

const FULL: &str = r#"
[stack]
name = "prod"

[backend]
type = "local"
path = "/var/state"

[variables.region]
default = "ap-southeast-1"
description = "Huawei region"

[variables.token]
default = "t0k"
sensitive = true

[providers.huawei]
region = "${var.region}"
project_id = "p1"
token = "${var.token}"

[resources.huawei_autopilot_cluster.prod]
name = "prod-${var.region}"
version = "v1.28"
flavor = "cce.autopilot.cluster"
vpc_id = "vpc-1234"
subnet_id = "subnet-5678"
tags = { env = "prod", team = "platform" }
lifecycle = { prevent_destroy = true, ignore_changes = ["tags"] }
timeouts = { create = "60m", upgrade = "1h30m" }

[resources.huawei_autopilot_addon.coredns]
cluster_id = "${huawei_autopilot_cluster.prod.id}"
template = "coredns"
version = "1.30.33"
values = { replicas = 2, cluster = "c-${huawei_autopilot_cluster.prod.id}" }
depends_on = ["huawei_autopilot_cluster.prod"]

[data.huawei_autopilot_addon_templates.all]
name = "coredns"

[outputs.cluster_id]
value = "${huawei_autopilot_cluster.prod.id}"
description = "the cluster"
"#;

#[test]
fn full_stack_lowers() {
    let c = ok(FULL);
    assert_eq!(c.stack_name, "prod");
    assert_eq!(
        c.backend,
        BackendConfig::Local {
            path: Some("/var/state".into())
        }
    );
    assert_eq!(c.variables["region"].value, Value::str("ap-southeast-1"));
    let p = &c.providers["huawei"];
    assert_eq!(p.settings["region"], Value::str("ap-southeast-1"));
    assert_eq!(p.sensitive_settings, vec!["token".to_string()]);
    assert_eq!(c.resources.len(), 2);
    let addon = &c.resources[0];
    assert_eq!(
        addon.address,
        Address::managed("huawei_autopilot_addon", "coredns")
    );
    let cluster_ref = Reference {
        target: Address::managed("huawei_autopilot_cluster", "prod"),
        path: vec!["id".into()],
    };
    assert_eq!(
        addon.attrs["cluster_id"].value,
        Expr::Ref(Box::new(cluster_ref.clone()))
    );
    let Expr::Map(values) = &addon.attrs["values"].value else {
        panic!("values should stay a map with a reference")
    };
    assert_eq!(values["replicas"].value, Expr::Literal(Value::Int(2)));
    assert_eq!(
        values["cluster"].value,
        Expr::Template(vec![
            TemplatePart::Text("c-".into()),
            TemplatePart::Ref(cluster_ref.clone())
        ])
    );
    assert_eq!(
        addon.depends_on[0].value,
        Address::managed("huawei_autopilot_cluster", "prod")
    );
    assert_eq!(addon.provider, "huawei");
    let cluster = &c.resources[1];
    assert_eq!(
        cluster.attrs["name"].value,
        Expr::Literal(Value::str("prod-ap-southeast-1"))
    );
    assert!(cluster.lifecycle.prevent_destroy);
    assert_eq!(cluster.lifecycle.ignore_changes, vec!["tags".to_string()]);
    assert_eq!(cluster.timeouts["create"], 3600);
    assert_eq!(cluster.timeouts["upgrade"], 5400);
    assert_eq!((cluster.span.line, cluster.span.col), (22, 1));
    assert_eq!(c.data.len(), 1);
    assert_eq!(
        c.outputs["cluster_id"].value.value,
        Expr::Ref(Box::new(cluster_ref))
    );
    assert_eq!(
        c.sha256,
        crate::config_sha256(&files(&[("main.toml", FULL)]))
    );
}

#[test]
fn stack_name_defaults_and_provider_without_required_settings_is_implicit() {
    let mut schemas = schemas();
    if let Some(p) = schemas.get_mut("huawei") {
        p.config
            .retain(|a| a.presence != clusterform_model::Presence::Required);
    }
    let c = load(&files(&[("a.toml", &cluster("x"))]), &opts(), &schemas).unwrap();
    assert_eq!(c.stack_name, "test");
    assert!(c.providers.contains_key("huawei"));
    assert_eq!(c.backend, BackendConfig::Local { path: None });
}

#[test]
fn unconfigured_provider_with_required_settings_is_an_error() {
    let errs = errors(&format!("{}{}", cluster("a"), cluster("b")));
    assert_eq!(
        errs,
        vec!["provider `huawei` is not configured (needed by `huawei_autopilot_cluster`)"]
    );
}

#[test]
fn files_are_read_together_in_any_order() {
    let a = format!("{PROVIDER}{}", cluster("a"));
    let b = "[resources.huawei_autopilot_addon.x]\ncluster_id = \"${huawei_autopilot_cluster.a.id}\"\ntemplate = \"t\"\n";
    let one = load(
        &files(&[("a.toml", &a), ("b.toml", b)]),
        &opts(),
        &schemas(),
    )
    .unwrap();
    let two = load(
        &files(&[("b.toml", b), ("a.toml", &a)]),
        &opts(),
        &schemas(),
    )
    .unwrap();
    assert_eq!(one, two);
    assert_eq!(one.resources.len(), 2);
}

#[test]
fn the_same_block_in_two_files_names_both() {
    let a = format!("{PROVIDER}{}", cluster("a"));
    let b = format!("{}[variables.v]\ndefault = 1\n", cluster("a"));
    let c = "[variables.v]\ndefault = 2\n[stack]\nname = \"x\"\n";
    let d = "[stack]\nname = \"y\"\n";
    let err = load(
        &files(&[("a.toml", &a), ("b.toml", &b), ("c.toml", c), ("d.toml", d)]),
        &opts(),
        &schemas(),
    )
    .unwrap_err();
    let msgs: Vec<&str> = err.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        vec![
            "`resources.huawei_autopilot_cluster.a` is defined in both a.toml and b.toml",
            "`variables.v` is defined in both b.toml and c.toml",
            "`stack` is defined in both c.toml and d.toml",
        ]
    );
    assert_eq!(
        err.0[0].hint.as_deref(),
        Some("first defined at a.toml:5:1; a block may be defined in one file only")
    );
}

#[test]
fn for_each_blocks_keep_their_lifecycle_even_without_instances() {
    let block = |name: &str, each: &str| {
        cluster(name).replacen(
            "\nname",
            &format!("\nfor_each = {each}\nlifecycle = {{ prevent_destroy = true }}\nname"),
            1,
        )
    };
    let c = ok(&format!(
        "{PROVIDER}{}{}{}",
        block("some", "[\"a\"]"),
        block("none", "{}"),
        cluster("single")
    ));
    let keys: Vec<String> = c.for_each_blocks.keys().map(|a| a.to_string()).collect();
    assert_eq!(
        keys,
        [
            "huawei_autopilot_cluster.none",
            "huawei_autopilot_cluster.some"
        ]
    );
    let gone = Address::managed("huawei_autopilot_cluster", "none").with_key("x");
    let (lifecycle, span) = c.governing(&gone).expect("the block governs its lost keys");
    assert!(lifecycle.prevent_destroy);
    assert_eq!(
        span.line,
        c.for_each_blocks.values().next().unwrap().span.line
    );
    let single = Address::managed("huawei_autopilot_cluster", "single");
    assert!(!c.governing(&single).unwrap().0.prevent_destroy);
    assert!(c
        .governing(&Address::managed("huawei_autopilot_cluster", "other"))
        .is_none());
}

#[test]
fn for_each_creates_keyed_instances() {
    let text = format!(
        "{PROVIDER}[resources.huawei_autopilot_cluster.c]\nfor_each = {{ a = {{ vpc = \"v-a\" }}, b = {{ vpc = \"v-b\" }} }}\n\
         name = \"c-${{each.key}}\"\nflavor = \"f\"\nvpc_id = \"${{each.value.vpc}}\"\nsubnet_id = \"s\"\n\n\
         [resources.huawei_autopilot_addon.x]\nfor_each = [\"a\", \"b\"]\ncluster_id = \"${{huawei_autopilot_cluster.c[each.value].id}}\"\ntemplate = \"t\"\n"
    );
    let c = ok(&text);
    let addrs: Vec<String> = c.resources.iter().map(|r| r.address.to_string()).collect();
    assert_eq!(
        addrs,
        [
            r#"huawei_autopilot_addon.x["a"]"#,
            r#"huawei_autopilot_addon.x["b"]"#,
            r#"huawei_autopilot_cluster.c["a"]"#,
            r#"huawei_autopilot_cluster.c["b"]"#
        ]
    );
    let b = &c.resources[3];
    assert_eq!(b.attrs["name"].value, Expr::Literal(Value::str("c-b")));
    assert_eq!(b.attrs["vpc_id"].value, Expr::Literal(Value::str("v-b")));
    // `[each.value]` picks the instance with the same key.
    for (i, key) in ["a", "b"].into_iter().enumerate() {
        let Expr::Ref(r) = &c.resources[i].attrs["cluster_id"].value else {
            panic!()
        };
        let want = Address::managed("huawei_autopilot_cluster", "c").with_key(key);
        assert_eq!(r.target, want);
    }
    let bad = text.replace("c[each.value]", "c[\\\"z\\\"]");
    assert_eq!(
        errors(&bad),
        vec!["`huawei_autopilot_cluster.c` has no instance [\"z\"]"]
    );
    let bad = text.replace("c[each.value]", "c[var.nope]");
    assert_eq!(errors(&bad), vec!["no variable `nope` is declared"]);
}

#[test]
fn for_each_errors() {
    let base = |fe: &str| {
        format!(
            "{PROVIDER}{}",
            cluster("c").replacen("\nname", &format!("\nfor_each = {fe}\nname"), 1)
        )
    };
    assert_eq!(
        errors(&base("3")),
        vec!["`for_each` must be a map (or a list of strings), found int"]
    );
    let errs = errors(&format!(
        "{}{}",
        base("{ a = 1 }"),
        "[outputs.o]\nvalue = \"${huawei_autopilot_cluster.x.id}\"\n"
    ));
    assert_eq!(
        errs,
        vec!["reference to undeclared resource `huawei_autopilot_cluster.x`"]
    );
    let errs = errors(&base("{ a = \"${huawei_autopilot_cluster.z.id}\" }"));
    assert_eq!(errs, vec!["`for_each` (its keys must be known when the stack is loaded) cannot refer to resources"]);
    let text = base("{ a = { x = 1 } }").replace("\"vpc-1\"", "\"${each.value.y}\"");
    assert_eq!(
        errors(&text),
        vec!["`each.value` has no `y` (it is a map with keys x)"]
    );
}

#[test]
fn every_error_is_reported_in_one_run_sorted_by_place() {
    let a = format!("{PROVIDER}{}", cluster("a").replace("vpc_id", "vpc_idd"));
    let b = "[resources.huawei_autopilot_addon.x]\ncluster_id = \"${huawei_autopilot_cluster.nope.id}\"\ntemplat = \"t\"\n";
    let err = load(
        &files(&[("b.toml", b), ("a.toml", &a)]),
        &opts(),
        &schemas(),
    )
    .unwrap_err();
    let places: Vec<String> = err
        .iter()
        .map(|d| {
            d.span
                .as_ref()
                .map(|s| format!("{}:{}:{}", s.file.display(), s.line, s.col))
                .unwrap()
        })
        .collect();
    assert_eq!(
        places,
        [
            "a.toml:5:1",
            "a.toml:8:1",
            "b.toml:1:1",
            "b.toml:2:15",
            "b.toml:3:1"
        ]
    );
    assert!(err.render().contains("did you mean `vpc_id`?"));
}

#[test]
fn syntax_errors_point_at_the_place_and_do_not_cascade() {
    let a = format!("{PROVIDER}[variables.v]\ndefault = \n");
    let b = cluster("x").replace("\"vpc-1\"", "\"${var.v}\"");
    let err = load(
        &files(&[("a.toml", &a), ("b.toml", &b)]),
        &opts(),
        &schemas(),
    )
    .unwrap_err();
    assert_eq!(err.len(), 1, "{}", err.render());
    let d = &err.0[0];
    assert!(d.message.starts_with("invalid TOML: "), "{}", d.message);
    let span = d.span.as_ref().unwrap();
    assert_eq!((span.file.to_str(), span.line), (Some("a.toml"), 6));
}

#[test]
fn empty_stack_loads() {
    let c = load(&[], &opts(), &schemas()).unwrap();
    assert!(c.resources.is_empty());
    assert_eq!(c.stack_name, "test");
}

#[test]
fn diagnostics_are_miette_diagnostics() {
    let err = load_one("[stak]\n").unwrap_err();
    let d: &dyn miette::Diagnostic = &err;
    assert_eq!(d.related().map(|r| r.count()), Some(1));
    let first: &dyn miette::Diagnostic = &err.0[0];
    assert_eq!(
        first.help().map(|h| h.to_string()),
        Some("did you mean `stack`?".into())
    );
    assert!(first.source_code().is_some());
    assert_eq!(err.to_string(), "1 problem in the stack configuration");
}
