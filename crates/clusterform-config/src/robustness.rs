//! Robustness and scale: hundreds of deterministic mutations of valid and broken stacks must
//! never panic (and every error must carry a usable location), and a 10,000-instance stack loads.

use std::path::Path;

use crate::test_support::{opts, schemas, PROVIDER};
use crate::{format_source, load, SourceFile};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "$",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "=",
    ".",
    "\n",
    "#",
    "\\",
    " ",
    "a",
    "0",
    ",",
    "é",
    "${",
    "$${",
    "${each.key}",
    "${var.",
    "[[x]]\n",
    "\"\"\"",
    "[resources.huawei_autopilot_cluster.a]\n",
    "for_each = 3\n",
    "[\"k\"]",
    "\u{0}",
];

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One mutation of `text`: a truncation, a replaced character, an insertion or a deletion.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut s = text.to_string();
    let at = floor_boundary(&s, rng.below(s.len() + 1));
    match rng.below(4) {
        0 => s.truncate(at),
        1 => {
            let end = floor_boundary(&s, at + 1 + rng.below(3)).max(at);
            s.replace_range(at..end, PIECES[rng.below(PIECES.len())]);
        }
        2 => s.insert_str(at, PIECES[rng.below(PIECES.len())]),
        _ => {
            let end = floor_boundary(&s, at + rng.below(40)).max(at);
            s.replace_range(at..end, "");
        }
    }
    s
}

fn seeds() -> Vec<Vec<SourceFile>> {
    let mut out = Vec::new();
    for case in ["multi_error", "valid", "syntax_error"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(case);
        let mut files: Vec<SourceFile> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| SourceFile {
                text: std::fs::read_to_string(&p).unwrap(),
                path: p,
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        out.push(files);
    }
    out.push(vec![SourceFile {
        path: "p.toml".into(),
        text: PROVIDER.to_string(),
    }]);
    out
}

#[test]
fn mutated_stacks_never_panic_and_errors_have_places() {
    let schemas = schemas();
    let mut o = opts();
    o.vars.push(("region".into(), "[1, ".into()));
    o.var_files.push(SourceFile {
        path: "vars.toml".into(),
        text: "region = \"x\"\nclusters = 3\n".into(),
    });
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = 0;
    let mut failures = 0;
    for seed in seeds() {
        for _ in 0..120 {
            let mut files = seed.clone();
            let which = rng.below(files.len());
            let rounds = 1 + rng.below(3);
            for _ in 0..rounds {
                files[which].text = mutate(&files[which].text, &mut rng);
            }
            cases += 1;
            match load(&files, &o, &schemas) {
                Ok(c) => assert_eq!(c.sha256.len(), 64),
                Err(d) => {
                    failures += 1;
                    assert!(!d.is_empty());
                    for diag in d.iter() {
                        if let Some(span) = &diag.span {
                            assert!(
                                span.line >= 1 && span.col >= 1 && span.start <= span.end,
                                "{diag:?}"
                            );
                            assert!(
                                diag.snippet.as_deref().is_some_and(|s| s.contains('^')),
                                "{diag:?}"
                            );
                        }
                    }
                    assert!(!d.render().is_empty());
                }
            }
            if let Ok(formatted) = format_source(&files[which]) {
                let again = SourceFile {
                    path: files[which].path.clone(),
                    text: formatted.clone(),
                };
                assert_eq!(
                    format_source(&again).ok().as_deref(),
                    Some(formatted.as_str()),
                    "{:?}",
                    files[which].text
                );
            }
        }
    }
    assert_eq!(cases, 480);
    // The mutations must exercise the error paths, not only produce valid stacks.
    assert!(failures > 300, "{failures}");
}

/// `clusters` clusters, each with `per` dependent add-ons: half as separate blocks, half as one
/// `for_each` block per cluster, in four files.
fn big_stack(clusters: usize, per: usize) -> Vec<SourceFile> {
    let mut texts = vec![
        PROVIDER.to_string(),
        String::new(),
        String::new(),
        String::new(),
    ];
    for c in 0..clusters {
        let file = &mut texts[1 + c % 3];
        file.push_str(&format!(
            "[resources.huawei_autopilot_cluster.c{c}]\nname = \"c{c}\"\nflavor = \"cce.autopilot.cluster\"\nvpc_id = \"vpc-1\"\nsubnet_id = \"subnet-1\"\ntags = {{ n = \"{c}\" }}\n\n"
        ));
        if c % 2 == 0 {
            for d in 0..per {
                file.push_str(&format!(
                    "[resources.huawei_autopilot_addon.a{c}_{d}]\ncluster_id = \"${{huawei_autopilot_cluster.c{c}.id}}\"\ntemplate = \"t{d}\"\nvalues = {{ replicas = {d} }}\n\n"
                ));
            }
        } else {
            let keys: Vec<String> = (0..per).map(|d| format!("k{d} = {{ n = {d} }}")).collect();
            file.push_str(&format!(
                "[resources.huawei_autopilot_addon.set{c}]\nfor_each = {{ {} }}\ncluster_id = \"${{huawei_autopilot_cluster.c{c}.id}}\"\ntemplate = \"t-${{each.key}}\"\nvalues = {{ replicas = \"${{each.value.n}}\" }}\n\n",
                keys.join(", ")
            ));
        }
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| SourceFile {
            path: format!("f{i}.toml").into(),
            text,
        })
        .collect()
}

#[test]
fn ten_thousand_instances_load() {
    let files = big_stack(100, 99);
    let config = load(&files, &opts(), &schemas()).unwrap();
    assert_eq!(config.resources.len(), 100 + 100 * 99);
    let addr = "huawei_autopilot_addon.set1[\"k98\"]".parse().unwrap();
    let r = config.resource(&addr).unwrap();
    assert_eq!(
        r.attrs["template"].value,
        crate::Expr::Literal("t-k98".into())
    );
    // A cycle added at the end of a big stack is still found and named.
    let mut files = files;
    files[3].text.push_str("[resources.huawei_autopilot_cluster_eip.e]\ncluster_id = \"${huawei_autopilot_cluster_eip.e.public_endpoint}\"\neip_id = \"x\"\n");
    let err = load(&files, &opts(), &schemas()).unwrap_err();
    assert_eq!(
        err.0[0].message,
        "dependency cycle: huawei_autopilot_cluster_eip.e -> huawei_autopilot_cluster_eip.e"
    );
}
