//! "Did you mean" hints: the closest known name to a misspelt one, by string similarity.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a, I, S>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let c = c.as_ref();
        if c == word {
            continue;
        }
        let score = strsim::jaro_winkler(word, c);
        // Ties go to the alphabetically first name, so hints do not depend on map order.
        if score >= 0.8 && best.is_none_or(|(b, bc)| score > b || (score == b && c < bc)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// `did you mean `x`?` for the closest candidate.
pub(crate) fn did_you_mean<'a, I, S>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// A hint naming the closest candidate, or else listing the valid ones (when few).
pub(crate) fn hint_or_list(word: &str, candidates: &[&str]) -> Option<String> {
    did_you_mean(word, candidates.iter().copied()).or_else(|| {
        (!candidates.is_empty() && candidates.len() <= 12).then(|| {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            format!("expected one of {}", list.join(", "))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let names = ["version", "name", "vpc_id"];
        assert_eq!(
            closest("verison", names.iter().copied()),
            Some("version".into())
        );
        assert_eq!(closest("zzz", names.iter().copied()), None);
        assert_eq!(
            hint_or_list("zzz", &["a", "b"]),
            Some("expected one of `a`, `b`".into())
        );
        assert_eq!(
            did_you_mean("nmae", names.iter().copied()),
            Some("did you mean `name`?".into())
        );
    }
}
