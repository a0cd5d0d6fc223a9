//! Expression evaluation against planned values: what each instance's attributes will be after
//! apply, as far as the plan knows them (`Value::Unknown` where only apply will tell).

use std::collections::{BTreeMap, HashMap};

use clusterform_config::{Expr, Reference, TemplatePart};
use clusterform_model::{Address, Attrs, InstanceKey, Value};

/// The planned attributes of every instance evaluated so far.
#[derive(Debug, Clone, Default)]
pub struct PlannedValues {
    values: HashMap<Address, Planned>,
    /// Instances of each `for_each` block, for references that name the block without a key.
    blocks: HashMap<Address, Vec<Address>>,
}

#[derive(Debug, Clone)]
enum Planned {
    Attrs(Attrs),
    /// A data source not read yet: everything about it is known only after apply.
    AllUnknown,
}

impl PlannedValues {
    /// Starts with the instances of every block, so block references can be resolved.
    pub fn new<'a>(instances: impl IntoIterator<Item = &'a Address>) -> Self {
        let mut blocks: HashMap<Address, Vec<Address>> = HashMap::new();
        let mut count = 0;
        for a in instances {
            count += 1;
            if a.key.is_some() {
                blocks.entry(a.block()).or_default().push(a.clone());
            }
        }
        PlannedValues {
            // Sized once: growing a large map doubles it while both tables are alive.
            values: HashMap::with_capacity(count),
            blocks,
        }
    }

    /// Records an instance's planned attributes.
    pub fn insert(&mut self, addr: Address, attrs: Attrs) {
        self.values.insert(addr, Planned::Attrs(attrs));
    }

    /// Records an instance whose every attribute is known only after apply.
    pub fn insert_unknown(&mut self, addr: Address) {
        self.values.insert(addr, Planned::AllUnknown);
    }

    /// Removes and returns an instance's planned attributes (once nothing is left to evaluate).
    pub fn take(&mut self, addr: &Address) -> Option<Attrs> {
        match self.values.remove(addr) {
            Some(Planned::Attrs(a)) => Some(a),
            _ => None,
        }
    }

    pub fn get(&self, addr: &Address) -> Option<&Attrs> {
        match self.values.get(addr) {
            Some(Planned::Attrs(a)) => Some(a),
            _ => None,
        }
    }

    /// Evaluates an expression. `Err` carries a referenced address that has no planned value
    /// (not declared, or outside a `--target` selection).
    pub fn eval(&self, expr: &Expr) -> Result<Value, Address> {
        match expr {
            Expr::Literal(v) => Ok(v.clone()),
            Expr::Ref(r) => self.eval_ref(r),
            Expr::Template(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        TemplatePart::Text(t) => out.push_str(t),
                        TemplatePart::Ref(r) => {
                            let v = self.eval_ref(r)?;
                            if v.contains_unknown() {
                                // Any unknown part makes the whole string unknown.
                                return Ok(Value::Unknown);
                            }
                            push_text(&mut out, &v);
                        }
                    }
                }
                Ok(Value::String(out))
            }
            Expr::List(items) => items
                .iter()
                .map(|i| self.eval(&i.value))
                .collect::<Result<_, _>>()
                .map(Value::List),
            Expr::Map(m) => m
                .iter()
                .map(|(k, v)| self.eval(&v.value).map(|x| (k.clone(), x)))
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Map),
        }
    }

    fn eval_ref(&self, r: &Reference) -> Result<Value, Address> {
        if let Some(p) = self.values.get(&r.target) {
            return Ok(navigate(p, &r.path));
        }
        if r.target.key.is_none() {
            if let Some(instances) = self.blocks.get(&r.target) {
                // A block named without a key stands for all its instances, as a map by key.
                let mut m = BTreeMap::new();
                for a in instances {
                    let p = self.values.get(a).ok_or_else(|| a.clone())?;
                    let Some(InstanceKey::Str(k)) = &a.key else {
                        continue;
                    };
                    m.insert(k.clone(), navigate(p, &r.path));
                }
                return Ok(Value::Map(m));
            }
        }
        Err(r.target.clone())
    }
}

/// Follows an attribute path (`["endpoints", "0", "url"]`) into planned attributes.
fn navigate(p: &Planned, path: &[String]) -> Value {
    let attrs = match p {
        Planned::AllUnknown => return Value::Unknown,
        Planned::Attrs(a) => a,
    };
    let Some((first, rest)) = path.split_first() else {
        return Value::Map(attrs.clone());
    };
    let mut cur = match attrs.get(first) {
        Some(v) => v,
        None => return Value::Null,
    };
    for step in rest {
        cur = match cur {
            Value::Unknown => return Value::Unknown,
            Value::Map(m) => match m.get(step) {
                Some(v) => v,
                None => return Value::Null,
            },
            Value::List(l) => match step.parse::<usize>().ok().and_then(|i| l.get(i)) {
                Some(v) => v,
                None => return Value::Null,
            },
            _ => return Value::Null,
        };
    }
    cur.clone()
}

/// Appends a value's text form, as interpolation shows it: strings bare, null as nothing,
/// lists and maps as JSON.
fn push_text(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&f.to_string()),
        Value::List(_) | Value::Map(_) | Value::Unknown => out.push_str(&v.to_json().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clusterform_config::{Span, Spanned};

    fn sp(e: Expr) -> Spanned<Expr> {
        Spanned {
            value: e,
            span: Span::default(),
        }
    }

    fn r(target: &str, path: &[&str]) -> Reference {
        Reference {
            target: target.parse().unwrap(),
            path: path.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn values() -> PlannedValues {
        let a: Address = "t.a".parse().unwrap();
        let x: Address = "t.m[\"x\"]".parse().unwrap();
        let y: Address = "t.m[\"y\"]".parse().unwrap();
        let mut pv = PlannedValues::new([&a, &x, &y]);
        let mut tags = BTreeMap::new();
        tags.insert("env".to_string(), Value::str("prod"));
        let attrs: Attrs = [
            ("id".to_string(), Value::str("c-1")),
            ("port".to_string(), Value::Int(443)),
            ("tags".to_string(), Value::Map(tags)),
            ("ips".to_string(), Value::List(vec![Value::str("10.0.0.1")])),
        ]
        .into();
        pv.insert(a, attrs);
        pv.insert(x, [("id".to_string(), Value::str("x-1"))].into());
        pv.insert(y, [("id".to_string(), Value::Unknown)].into());
        pv.insert_unknown("data.d.q".parse().unwrap());
        pv
    }

    #[test]
    fn references_follow_paths_into_maps_and_lists() {
        let pv = values();
        assert_eq!(
            pv.eval(&Expr::Ref(Box::new(r("t.a", &["tags", "env"])))),
            Ok(Value::str("prod"))
        );
        assert_eq!(
            pv.eval(&Expr::Ref(Box::new(r("t.a", &["ips", "0"])))),
            Ok(Value::str("10.0.0.1"))
        );
        assert_eq!(
            pv.eval(&Expr::Ref(Box::new(r("t.a", &["ips", "7"])))),
            Ok(Value::Null)
        );
        assert_eq!(
            pv.eval(&Expr::Ref(Box::new(r("t.a", &["nope"])))),
            Ok(Value::Null)
        );
        assert_eq!(
            pv.eval(&Expr::Ref(Box::new(r("data.d.q", &["anything"])))),
            Ok(Value::Unknown)
        );
        assert_eq!(
            pv.eval(&Expr::Ref(Box::new(r("t.zz", &["id"])))),
            Err("t.zz".parse().unwrap())
        );
    }

    #[test]
    fn templates_render_text_and_turn_unknown_when_any_part_is() {
        let pv = values();
        let t = Expr::Template(vec![
            TemplatePart::Text("https://".into()),
            TemplatePart::Ref(r("t.a", &["id"])),
            TemplatePart::Text(":".into()),
            TemplatePart::Ref(r("t.a", &["port"])),
        ]);
        assert_eq!(pv.eval(&t), Ok(Value::str("https://c-1:443")));
        let u = Expr::Template(vec![
            TemplatePart::Text("x-".into()),
            TemplatePart::Ref(r("t.m[\"y\"]", &["id"])),
        ]);
        assert_eq!(pv.eval(&u), Ok(Value::Unknown));
    }

    #[test]
    fn block_reference_yields_a_map_by_key_and_lists_maps_nest() {
        let pv = values();
        let v = pv.eval(&Expr::Ref(Box::new(r("t.m", &["id"])))).unwrap();
        let m = v.as_map().unwrap();
        assert_eq!(m.get("x"), Some(&Value::str("x-1")));
        assert_eq!(m.get("y"), Some(&Value::Unknown));
        let list = Expr::List(vec![
            sp(Expr::Literal(Value::Int(1))),
            sp(Expr::Ref(Box::new(r("t.m[\"y\"]", &["id"])))),
        ]);
        let got = pv.eval(&list).unwrap();
        assert!(got.contains_unknown());
        let map = Expr::Map([("k".to_string(), sp(Expr::Ref(Box::new(r("t.a", &["id"])))))].into());
        assert_eq!(
            pv.eval(&map),
            Ok(Value::Map([("k".to_string(), Value::str("c-1"))].into()))
        );
    }
}
