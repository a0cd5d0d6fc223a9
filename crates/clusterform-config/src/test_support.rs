//! Test helpers: a small hand-built Huawei-like provider schema and shortcuts to load stacks.

use std::collections::BTreeMap;

use clusterform_model::{AttrSchema, AttrType, ProviderSchema, ResourceSchema, SchemaKind};

use crate::{load, Config, Diagnostics, LoadOptions, Schemas, SourceFile};

fn s() -> AttrType {
    AttrType::String
}

fn map(t: AttrType) -> AttrType {
    AttrType::Map(Box::new(t))
}

fn list(t: AttrType) -> AttrType {
    AttrType::List(Box::new(t))
}

/// `huawei`: a cluster, an add-on, an EIP binding and three data sources, after the Autopilot digest.
pub(crate) fn schemas() -> Schemas {
    let cluster = ResourceSchema::new(
        "huawei_autopilot_cluster",
        SchemaKind::Managed,
        vec![
            AttrSchema::required("name", s()).force_new(),
            AttrSchema::required("flavor", s()).force_new(),
            AttrSchema::required("vpc_id", s()).force_new(),
            AttrSchema::required("subnet_id", s()).force_new(),
            AttrSchema::optional_computed("version", s()).version(),
            AttrSchema::optional("description", s()),
            AttrSchema::optional_computed("alias", s()),
            AttrSchema::optional("tags", map(s())),
            AttrSchema::optional_computed("eni_subnet_ids", list(s())),
            AttrSchema::optional("upgrade", AttrType::Any).no_diff(),
            AttrSchema::optional("install_addons", list(s())).create_only(),
            AttrSchema::computed("id", s()),
            AttrSchema::computed("phase", s()),
            AttrSchema::computed("endpoints", list(map(s()))),
            AttrSchema::computed("platform_version", s()),
        ],
    );
    let addon = ResourceSchema::new(
        "huawei_autopilot_addon",
        SchemaKind::Managed,
        vec![
            AttrSchema::required("cluster_id", s()).force_new(),
            AttrSchema::required("template", s()).force_new(),
            AttrSchema::optional_computed("version", s()),
            AttrSchema::optional("values", AttrType::Any),
            AttrSchema::computed("id", s()),
            AttrSchema::computed("status", s()),
        ],
    );
    let eip = ResourceSchema::new(
        "huawei_autopilot_cluster_eip",
        SchemaKind::Managed,
        vec![
            AttrSchema::required("cluster_id", s()).force_new(),
            AttrSchema::required("eip_id", s()),
            AttrSchema::optional("replicas", AttrType::Int),
            AttrSchema::optional("cluster_ids", map(s())),
            AttrSchema::computed("public_endpoint", s()),
        ],
    );
    let templates = ResourceSchema::new(
        "huawei_autopilot_addon_templates",
        SchemaKind::Data,
        vec![
            AttrSchema::optional("name", s()),
            AttrSchema::computed("versions", list(s())),
        ],
    );
    let quotas = ResourceSchema::new(
        "huawei_autopilot_quotas",
        SchemaKind::Data,
        vec![AttrSchema::computed("cluster_limit", AttrType::Int)],
    );
    // Sensitive as a whole, like the real one: every attribute is a secret.
    let mut kubeconfig = ResourceSchema::new(
        "huawei_autopilot_kubeconfig",
        SchemaKind::Data,
        vec![
            AttrSchema::required("cluster_id", s()),
            AttrSchema::computed("kubeconfig", s()).sensitive(),
        ],
    );
    kubeconfig.sensitive = true;
    let provider = ProviderSchema {
        name: "huawei".into(),
        config: vec![
            AttrSchema::required("region", s()),
            AttrSchema::required("project_id", s()),
            AttrSchema::optional("endpoint", s()),
            AttrSchema::optional("sandbox", AttrType::Bool),
            AttrSchema::optional("max_retries", AttrType::Int),
            AttrSchema::optional("token", s()).sensitive(),
        ],
        resources: [cluster, addon, eip]
            .into_iter()
            .map(|r| (r.type_name.clone(), r))
            .collect(),
        data_sources: [templates, quotas, kubeconfig]
            .into_iter()
            .map(|r| (r.type_name.clone(), r))
            .collect(),
    };
    let mut out = BTreeMap::new();
    out.insert("huawei".to_string(), provider);
    out
}

/// A provider block to prepend to test stacks.
pub(crate) const PROVIDER: &str =
    "[providers.huawei]\nregion = \"ap-southeast-1\"\nproject_id = \"p1\"\n\n";

/// A valid cluster block named `NAME`.
pub(crate) fn cluster(name: &str) -> String {
    format!(
        "[resources.huawei_autopilot_cluster.{name}]\nname = \"{name}\"\nflavor = \"cce.autopilot.cluster\"\nvpc_id = \"vpc-1\"\nsubnet_id = \"subnet-1\"\n\n"
    )
}

pub(crate) fn files(list: &[(&str, &str)]) -> Vec<SourceFile> {
    list.iter()
        .map(|(p, t)| SourceFile {
            path: p.into(),
            text: t.to_string(),
        })
        .collect()
}

pub(crate) fn opts() -> LoadOptions {
    LoadOptions {
        default_stack_name: "test".into(),
        ..LoadOptions::default()
    }
}

/// Loads one file `main.toml`.
pub(crate) fn load_one(text: &str) -> Result<Config, Diagnostics> {
    load(&files(&[("main.toml", text)]), &opts(), &schemas())
}

/// Loads one file that must be valid.
pub(crate) fn ok(text: &str) -> Config {
    match load_one(text) {
        Ok(c) => c,
        Err(d) => panic!("expected the stack to load:\n{}", d.render()),
    }
}

/// Loads one file that must fail; returns the rendered messages (first lines) for matching.
pub(crate) fn errors(text: &str) -> Vec<String> {
    errors_with(text, &opts())
}

pub(crate) fn errors_with(text: &str, o: &LoadOptions) -> Vec<String> {
    match load(&files(&[("main.toml", text)]), o, &schemas()) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(d) => {
            assert!(!d.is_empty());
            d.iter().map(|x| x.message.clone()).collect()
        }
    }
}

/// The single diagnostic of a stack that must fail with exactly one.
pub(crate) fn one_error(text: &str) -> crate::Diagnostic {
    match load_one(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(d) => {
            assert_eq!(d.len(), 1, "expected one error, got:\n{}", d.render());
            d.0.into_iter().next().unwrap()
        }
    }
}
