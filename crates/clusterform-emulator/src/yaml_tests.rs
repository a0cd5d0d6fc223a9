//! Tests of the YAML subset reader on the shapes Helm charts use.

use super::*;
use serde_json::json;

fn typed(s: &str) -> Value {
    match parse(s, Scalars::Typed) {
        Ok(v) => v,
        Err(e) => panic!("{e}\n---\n{s}"),
    }
}

#[test]
fn nested_maps_lists_and_scalars() {
    let v = typed(
        r#"# Default values for web.
replicaCount: 2
image:
  repository: nginx   # the image
  tag: "1.25"
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: 80
  enabled: true
  ratio: 0.5
  nothing: ~
  empty:
ingress:
  hosts:
  - host: chart-example.local
    paths:
      - /
      - /api
  - host: other.local
    paths: []
tolerations: []
nodeSelector: {}
labels: {app: web, tier: "front, end", port: 8080}
args: [--verbose, "-x", 3]
url: http://example.com:8080/path
msg: it's fine
"#,
    );
    assert_eq!(
        v,
        json!({
            "replicaCount": 2,
            "image": {"repository": "nginx", "tag": "1.25", "pullPolicy": "IfNotPresent"},
            "service": {"type": "ClusterIP", "port": 80, "enabled": true, "ratio": 0.5, "nothing": null, "empty": null},
            "ingress": {"hosts": [
                {"host": "chart-example.local", "paths": ["/", "/api"]},
                {"host": "other.local", "paths": []}
            ]},
            "tolerations": [],
            "nodeSelector": {},
            "labels": {"app": "web", "tier": "front, end", "port": 8080},
            "args": ["--verbose", "-x", 3],
            "url": "http://example.com:8080/path",
            "msg": "it's fine"
        })
    );
}

#[test]
fn block_scalars_keep_or_fold_lines() {
    let v = typed(
        "config: |\n  a = 1\n\n  # not a comment\n  b = 2\nfolded: >-\n  one\n  two\n\n  three\nkeep: |+\n  x\n\nlast: end\n",
    );
    assert_eq!(v["config"], "a = 1\n\n# not a comment\nb = 2\n");
    assert_eq!(v["folded"], "one two\nthree");
    assert_eq!(v["keep"], "x\n\n");
    assert_eq!(v["last"], "end");
}

#[test]
fn resolves_scalars_like_go_yaml_v2() {
    let v = typed("a: yes\nb: off\nc: 0x1F\nd: -12\ne: 1_000\nf: 1.5e3\ng: '007'\nh: 1.2.3\ni: Null\nj: \"tab\\tand \\u00e9\"\nk: 'it''s'\n");
    assert_eq!(
        v,
        json!({"a": true, "b": false, "c": 31, "d": -12, "e": 1000, "f": 1500.0, "g": "007", "h": "1.2.3", "i": null, "j": "tab\tand é", "k": "it's"})
    );
}

#[test]
fn strings_mode_keeps_versions_as_written() {
    let v = parse(
        "apiVersion: v2\nname: web\nversion: 1.10\nappVersion: 2.0\nmaintainers:\n  - name: ops\n",
        Scalars::Strings,
    )
    .unwrap();
    assert_eq!(v["version"], "1.10");
    assert_eq!(v["appVersion"], "2.0");
    assert_eq!(v["maintainers"][0]["name"], "ops");
}

#[test]
fn nested_sequences_multiline_plain_and_documents() {
    let v = typed("---\nmatrix:\n  - - 1\n    - 2\n  - [3, 4]\ndescription: a long\n  sentence here\n...\nignored: true\n");
    assert_eq!(
        v,
        json!({"matrix": [[1, 2], [3, 4]], "description": "a long sentence here"})
    );
    assert_eq!(typed(""), Value::Null);
    assert_eq!(typed("# only a comment\n"), Value::Null);
    assert_eq!(
        typed("list: [\n  a,\n  b\n]\n"),
        json!({"list": ["a", "b"]})
    );
}

#[test]
fn refuses_what_it_does_not_read() {
    let bad = |s: &str| parse(s, Scalars::Typed).unwrap_err();
    assert_eq!(bad("a: &x 1\nb: *x\n").line, 1);
    assert_eq!(bad("a: 1\n---\nb: 2\n").line, 2);
    assert_eq!(bad("a:\n\tb: 1\n").line, 2);
    assert_eq!(bad("a: 1\n   b: 2\n").line, 2);
    assert_eq!(bad("a: \"open\n").line, 1);
    assert_eq!(bad("a: [1, 2\n").line, 1);
    assert!(bad("- a\nb: 1\n").msg.contains("unexpected"));
}
