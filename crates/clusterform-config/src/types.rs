//! The validated configuration: what leaves this crate. Variables, `${env.X}` and `each.*` are
//! already substituted; the only references left in expressions point at resources and data sources.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clusterform_model::{Address, ProviderSchema, Value};

/// One stack file as read by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// A location in a stack file: 1-based line and column plus the byte range. The file's path is
/// shared by every span into it (a stack holds one span per attribute of every instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: Arc<Path>,
    pub line: u32,
    pub col: u32,
    pub start: usize,
    pub end: usize,
}

impl Default for Span {
    /// No place: an empty path, line and column 0.
    fn default() -> Self {
        Span {
            file: Arc::from(Path::new("")),
            line: 0,
            col: 0,
            start: 0,
            end: 0,
        }
    }
}

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A reference to another object's attribute: `${TYPE.NAME.ATTR}`, `${TYPE.NAME["k"].ATTR}`,
/// `${data.TYPE.NAME.ATTR}`. `path` is the attribute and any nested keys (`["endpoints", "0"]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// The referenced instance, or the whole block when it uses `for_each` and no key is given.
    pub target: Address,
    pub path: Vec<String>,
}

/// One piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Ref(Reference),
}

/// An attribute's expression after variable substitution.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// `"${x.y.z}"` alone: takes the referenced value with its type. Boxed, so the common
    /// literal case keeps `Expr` small (a stack holds one per attribute of every instance).
    Ref(Box<Reference>),
    /// `"a-${x.y.z}-b"`: always a string.
    Template(Vec<TemplatePart>),
    List(Vec<Spanned<Expr>>),
    Map(BTreeMap<String, Spanned<Expr>>),
}

impl Expr {
    /// Every reference inside the expression, in order of appearance.
    pub fn references(&self) -> Vec<&Reference> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Reference>) {
        match self {
            Expr::Literal(_) => {}
            Expr::Ref(r) => out.push(r),
            Expr::Template(parts) => out.extend(parts.iter().filter_map(|p| match p {
                TemplatePart::Ref(r) => Some(r),
                TemplatePart::Text(_) => None,
            })),
            Expr::List(items) => items.iter().for_each(|i| i.value.collect_refs(out)),
            Expr::Map(m) => m.values().for_each(|i| i.value.collect_refs(out)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    /// Attribute names whose differences are ignored (`["tags"]`, or `["*"]` for all).
    pub ignore_changes: Vec<String>,
    pub create_before_destroy: bool,
    /// A change that needs a new object may be planned (guarded types refuse it otherwise).
    pub allow_replace: bool,
}

/// One resource or data-source instance (a `for_each` block yields one per key).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceConfig {
    pub address: Address,
    /// The provider name (the type's prefix, e.g. `huawei`).
    pub provider: String,
    /// Attribute expressions, by attribute name (only attributes the schema knows).
    pub attrs: BTreeMap<String, Spanned<Expr>>,
    pub depends_on: Vec<Spanned<Address>>,
    pub lifecycle: Lifecycle,
    /// Per-action timeouts in seconds (`create`, `update`, `upgrade`, `delete`, `read`).
    pub timeouts: BTreeMap<String, u64>,
    /// Attributes set here whose value (or a part of it: a map entry, a list item, a piece of a
    /// string) comes from something sensitive: a sensitive variable, or an attribute of another
    /// resource or data source that its schema marks sensitive or that is itself built from one.
    /// Sorted. Plans show them as `(sensitive)` and saved plans drop them, as schema-sensitive ones.
    pub sensitive_attrs: Vec<String>,
    /// The `[resources.TYPE.NAME]` / `[data.TYPE.NAME]` header.
    pub span: Span,
}

/// A managed `[resources.TYPE.NAME]` block with `for_each`, as declared. Its lifecycle still
/// applies to instances that state holds but whose keys the config no longer lists (so
/// `prevent_destroy` guards them), and its header is where plan errors about them point.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockConfig {
    /// The block's address, without an instance key.
    pub address: Address,
    pub lifecycle: Lifecycle,
    /// The `[resources.TYPE.NAME]` header.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariableConfig {
    pub name: String,
    /// The resolved value (default, then `--var`, `--var-file`, `CLUSTERFORM_VAR_name`; later wins).
    pub value: Value,
    pub description: String,
    pub sensitive: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    pub name: String,
    /// Settings with `${var.X}` and `${env.X}` resolved.
    pub settings: BTreeMap<String, Value>,
    /// Names of settings that came from a sensitive variable or the environment (never shown).
    pub sensitive_settings: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BackendConfig {
    /// Local files; `path` is the directory, relative to the stack directory when relative
    /// (default: `./state/`, relative to the working directory).
    Local {
        path: Option<PathBuf>,
    },
    Postgres {
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputConfig {
    pub name: String,
    pub value: Spanned<Expr>,
    pub description: String,
    pub sensitive: bool,
}

/// A validated stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[stack] name`, default: the stack directory's name (passed in by the caller).
    pub stack_name: String,
    pub backend: BackendConfig,
    pub variables: BTreeMap<String, VariableConfig>,
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Managed resource instances, sorted by address.
    pub resources: Vec<ResourceConfig>,
    /// Data-source instances, sorted by address.
    pub data: Vec<ResourceConfig>,
    /// Managed blocks with `for_each` (even over an empty map), by block address.
    pub for_each_blocks: BTreeMap<Address, BlockConfig>,
    pub outputs: BTreeMap<String, OutputConfig>,
    /// sha256 (hex) of the files: sorted by path, each hashed as path, NUL, text, NUL.
    pub sha256: String,
}

impl Config {
    pub fn resource(&self, addr: &Address) -> Option<&ResourceConfig> {
        self.resources
            .iter()
            .chain(self.data.iter())
            .find(|r| &r.address == addr)
    }

    /// The lifecycle and header that govern a managed instance: its own when the config declares
    /// it, else those of the block it belongs to when only the instance is gone (its key left
    /// `for_each`, or the block gained or lost `for_each`).
    pub fn governing(&self, addr: &Address) -> Option<(&Lifecycle, &Span)> {
        let find = |a: &Address| {
            self.resources
                .binary_search_by(|r| r.address.cmp(a))
                .ok()
                .and_then(|i| self.resources.get(i))
                .map(|r| (&r.lifecycle, &r.span))
        };
        if let Some(found) = find(addr) {
            return Some(found);
        }
        let block = addr.block();
        match self.for_each_blocks.get(&block) {
            Some(b) => Some((&b.lifecycle, &b.span)),
            None if addr.key.is_some() => find(&block),
            None => None,
        }
    }
}

/// Inputs besides the files: where variable values come from, and the environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Name of the stack directory, the default stack name.
    pub default_stack_name: String,
    /// `--var-file` files, in the order given (later wins).
    pub var_files: Vec<SourceFile>,
    /// `--var k=v` pairs, in the order given (later wins). Values are parsed as TOML values when
    /// they parse, else taken as strings.
    pub vars: Vec<(String, String)>,
    /// The process environment (for `CLUSTERFORM_VAR_*` and `${env.X}`), passed in by the CLI.
    pub env: BTreeMap<String, String>,
}

/// The schemas the stack is validated against, by provider name.
pub type Schemas = BTreeMap<String, ProviderSchema>;
