//! Where a client reaches the observatory's two HTTP APIs. Separate structs, so a service that
//! needs one of them (the gateway names the read model in `Location`) does not get the other.

/// Where the gateway answers when nothing else is said: `odto up` on this machine.
pub const DEFAULT_GATEWAY_URL: &str = "http://127.0.0.1:3000";
/// Where the read model answers when nothing else is said: `odto up` on this machine.
pub const DEFAULT_READ_MODEL_URL: &str = "http://127.0.0.1:8080";

/// The gateway's base URL (the write API).
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct GatewayUrl {
    /// Base URL of the gateway (the write API).
    #[arg(
        id = "gateway_url",
        long = "gateway-url",
        value_name = "URL",
        env = "ODTO_GATEWAY_URL",
        default_value = DEFAULT_GATEWAY_URL,
        value_parser = base_url,
        global = true
    )]
    pub url: String,
}

/// The read model's base URL (the read API of every UI).
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct ReadModelUrl {
    /// Base URL of the read model (the read API).
    #[arg(
        id = "read_model_url",
        long = "read-model-url",
        value_name = "URL",
        env = "ODTO_READ_MODEL_URL",
        default_value = DEFAULT_READ_MODEL_URL,
        value_parser = base_url,
        global = true
    )]
    pub url: String,
}

impl GatewayUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

impl ReadModelUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

/// An `http://` or `https://` URL with a host, without its trailing slash.
pub fn base_url(text: &str) -> Result<String, String> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err("not a URL: it has no scheme such as http://".into());
    };
    if !matches!(scheme, "http" | "https") {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.is_empty() || host.starts_with(':') {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Both {
        #[command(flatten)]
        gateway: GatewayUrl,
        #[command(flatten)]
        read_model: ReadModelUrl,
    }

    #[test]
    fn both_urls_fit_in_one_command_line() {
        let both = Both::try_parse_from([
            "client",
            "--gateway-url",
            "http://g:1/",
            "--read-model-url",
            "http://r:2",
        ])
        .unwrap();

        assert_eq!(both.gateway.url, "http://g:1");
        assert_eq!(both.read_model.url, "http://r:2");
    }

    #[test]
    fn base_urls_lose_their_trailing_slash_and_must_be_http() {
        assert_eq!(
            base_url("http://127.0.0.1:3000/").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(base_url("127.0.0.1:3000").is_err());
        assert!(base_url("ftp://host").is_err());
        assert!(base_url("http://").is_err());
    }
}
