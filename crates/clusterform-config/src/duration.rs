//! Timeout durations as written in `timeouts = { create = "60m" }`: numbers with `s`, `m`, `h` or
//! `d` units, combined (`1h30m`), turned into seconds.

/// Seconds in `text`, or why it is not a duration.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a duration cannot be empty".into());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("unknown unit `{c}`")),
        };
        if num.is_empty() {
            return Err(format!("`{c}` needs a number before it"));
        }
        let n: u64 = num
            .parse()
            .map_err(|_| "the number is too large".to_string())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| "the duration is too long".to_string())?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!("`{num}` needs a unit (s, m, h or d)"));
    }
    if total == 0 {
        return Err("a timeout must be longer than zero".into());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_combine() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("10m"), Ok(600));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("1d"), Ok(86_400));
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in [
            "",
            "60",
            "m",
            "5x",
            "0s",
            "1h 30m",
            "99999999999999999999s",
            "9999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
