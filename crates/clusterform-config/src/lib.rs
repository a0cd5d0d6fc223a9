//! TOML stack text → validated `Config`. Each file is parsed with `toml_edit` into a raw tree with
//! spans, its blocks are gathered, checked against the providers' schemas and lowered into the
//! types of `types.rs`; every diagnostic of a stack is returned at once, each with file, line and
//! column. No IO: the caller reads the files and the environment and passes them in.

mod blocks;
mod collect;
mod ctx;
mod diagnostic;
mod duration;
mod fasthash;
mod format;
mod graph;
mod lower;
mod meta;
mod raw;
mod refs;
mod resources;
mod sensitivity;
mod source;
mod suggest;
mod template;
pub mod types;
mod variables;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod robustness;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use format::format_source;
pub use types::*;
pub use variables::ENV_PREFIX;

use crate::collect::{Collected, Collector};
use crate::ctx::Ctx;
use crate::diagnostic::Sink;
use crate::source::SourceMap;

/// Parses and validates a stack. `files` are its `*.toml` files (any order); variable inputs and
/// the environment come in `opts`. On failure every problem found is returned, sorted by place.
pub fn load(
    files: &[SourceFile],
    opts: &LoadOptions,
    schemas: &Schemas,
) -> Result<Config, Diagnostics> {
    let mut sources = SourceMap::default();
    let mut sink = Sink::default();
    let stack_ids: Vec<_> = files
        .iter()
        .map(|f| sources.add(f.path.clone(), &f.text))
        .collect();
    let var_ids: Vec<_> = opts
        .var_files
        .iter()
        .map(|f| sources.add(f.path.clone(), &f.text))
        .collect();
    let inputs: Vec<(usize, &str)> = stack_ids
        .iter()
        .zip(files)
        .chain(var_ids.iter().zip(&opts.var_files))
        .map(|(id, f)| (*id, f.text.as_str()))
        .collect();
    let mut parsed = raw::parse_all(&inputs).into_iter();
    let mut incomplete = false;
    let report = |id, result, sink: &mut Sink| match result {
        Ok(root) => Some(root),
        Err((message, range)) => {
            sink.at(&sources.span(id, range), format!("invalid TOML: {message}"));
            None
        }
    };
    let mut roots = Vec::new();
    for id in &stack_ids {
        match parsed.next().and_then(|r| report(*id, r, &mut sink)) {
            Some(root) => roots.push(root),
            None => incomplete = true,
        }
    }
    let var_roots: Vec<_> = var_ids
        .iter()
        .filter_map(|id| parsed.next().and_then(|r| report(*id, r, &mut sink)))
        .collect();

    let mut collector = Collector {
        sources: &sources,
        sink: &mut sink,
        out: Collected::default(),
    };
    for root in &roots {
        collector.add_file(root);
    }
    let col = collector.out;

    let var_refs: Vec<_> = var_roots.iter().collect();
    let (vars, variables) = variables::Resolver {
        sources: &sources,
        sink: &mut sink,
    }
    .resolve(&col, &var_refs, opts);
    let mut ctx = Ctx {
        sources: &sources,
        sink,
        vars,
        opts,
        schemas,
        incomplete,
    };

    let stack_name = blocks::stack_name(&mut ctx, &col);
    let backend = blocks::backend(&mut ctx, &col);
    let mut providers = blocks::providers(&mut ctx, &col);
    let mut objects = resources::objects(&mut ctx, &col);
    let (outputs, output_refs) = blocks::outputs(&mut ctx, &col);

    let mut checker = refs::Checker::new(&mut ctx, &objects);
    checker.check_refs(objects.refs.iter().chain(&output_refs));
    checker.check_deps(&objects.deps);
    let edges = std::mem::take(&mut checker.edges);
    for cycle in graph::cycles(&edges, &objects.order) {
        report_cycle(&mut ctx.sink, &cycle);
    }
    sensitivity::apply(&mut ctx, &mut objects, &edges, &outputs);

    if !ctx.sink.is_empty() {
        return Err(ctx.sink.finish(&sources));
    }
    // A provider whose settings are all optional may be used without a `[providers.X]` table.
    for (name, span) in &objects.used_providers {
        providers
            .entry(name.clone())
            .or_insert_with(|| ProviderConfig {
                name: name.clone(),
                settings: BTreeMap::new(),
                sensitive_settings: Vec::new(),
                span: span.clone(),
            });
    }
    Ok(Config {
        stack_name,
        backend,
        variables,
        providers,
        resources: objects.resources,
        data: objects.data,
        for_each_blocks: objects.for_each_blocks,
        outputs,
        sha256: config_sha256(files),
    })
}

fn report_cycle(sink: &mut Sink, cycle: &graph::Cycle) {
    let names: Vec<String> = cycle.walk.iter().map(ToString::to_string).collect();
    let (msg, hint) = if cycle.walked {
        let hint = "a resource cannot depend on itself, directly or through others: remove one of these references or `depends_on` entries";
        (format!("dependency cycle: {}", names.join(" -> ")), hint)
    } else {
        let n = names.len().saturating_sub(1);
        let list = names.get(..n).unwrap_or(&names).join(", ");
        (
            format!("dependency cycle among {n} blocks: {list}"),
            "remove references or `depends_on` entries until no block depends on itself",
        )
    };
    let span = (cycle.span != Span::default()).then(|| cycle.span.clone());
    sink.error(span, msg, Some(hint.to_string()));
}

/// sha256 (hex) of a stack's files: sorted by path, each hashed as path, NUL, text, NUL.
pub fn config_sha256(files: &[SourceFile]) -> String {
    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut h = Sha256::new();
    for f in sorted {
        h.update(f.path.to_string_lossy().as_bytes());
        h.update([0u8]);
        h.update(f.text.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}
