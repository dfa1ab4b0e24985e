//! URLs as people may see them: the password hidden, everything else kept.

/// The URL with its password, if any, replaced by `***`: in the user info
/// (`amqp://guest:***@host/…`) or in the query (`…?***` when it names a password). Text that is
/// not a URL is hidden whole, since it could be anything.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".into();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let tail = match tail.split_once('?') {
        Some((path, query)) if query.contains("password") => format!("{path}?***"),
        _ => tail.to_owned(),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if user.len() < userinfo.len() {
                ":***"
            } else {
                ""
            };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => format!("{scheme}://{authority}{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_url_hides_the_password_only() {
        assert_eq!(
            redact_url("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact_url("amqp://127.0.0.1:5672"), "amqp://127.0.0.1:5672");
    }

    #[test]
    fn urls_without_a_password_print_unchanged() {
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/odto"),
            "postgres://postgres@127.0.0.1/odto"
        );
        assert_eq!(redact_url("not a url"), "***");
        assert_eq!(
            redact_url("postgres://h/odto?password=x&sslmode=disable"),
            "postgres://h/odto?***"
        );
    }

    #[test]
    fn passwords_never_reach_the_report() {
        let shown = redact_url("postgres://u:secret@h:5432/db");
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(shown, "postgres://u:***@h:5432/db");
    }
}
