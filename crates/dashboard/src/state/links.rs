//! The `U` launcher's list, from `contracts/ui-registry.json` (embedded in the binary through
//! `odto-contracts`).

use odto_contracts::{DeploymentMode, UiEntry, UiRegistry, ui_registry};

/// One web UI the launcher offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiLink {
    pub name: String,
    pub emoji: String,
    pub url: String,
    pub description: String,
    /// The modes that run it, e.g. "all-in-one, distributed"; empty when none does.
    pub modes: String,
}

/// Every registry entry, in registry order. The two API docs follow the URLs the dashboard is
/// configured with, so they open the stack it is watching even on non-default ports.
pub fn ui_links(read_model_url: &str, gateway_url: &str) -> Vec<UiLink> {
    let registry = ui_registry();
    registry
        .entries
        .iter()
        .map(|entry| UiLink {
            name: entry.name.clone(),
            emoji: entry.emoji.clone(),
            url: url(registry, entry, read_model_url, gateway_url),
            description: entry.description.clone(),
            modes: entry
                .modes
                .iter()
                .map(|mode| mode_name(*mode))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

fn url(registry: &UiRegistry, entry: &UiEntry, read_model_url: &str, gateway_url: &str) -> String {
    let base = match entry.id.as_str() {
        "gateway-docs" => gateway_url,
        "read-model-docs" => read_model_url,
        _ => return registry.url(entry),
    };
    format!("{}{}", base.trim_end_matches('/'), entry.path)
}

fn mode_name(mode: DeploymentMode) -> &'static str {
    match mode {
        DeploymentMode::AllInOne => "all-in-one",
        DeploymentMode::Distributed => "distributed",
        DeploymentMode::Cluster => "cluster",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_entry_is_offered_and_the_docs_follow_the_configured_urls() {
        let links = ui_links("http://127.0.0.1:18080/", "http://127.0.0.1:13000");
        assert_eq!(links.len(), ui_registry().entries.len());
        let url_of = |name: &str| {
            links
                .iter()
                .find(|l| l.name == name)
                .map(|l| l.url.clone())
                .unwrap()
        };
        assert_eq!(url_of("Gateway API docs"), "http://127.0.0.1:13000/docs");
        assert_eq!(url_of("Read model API docs"), "http://127.0.0.1:18080/docs");
        assert_eq!(url_of("Grafana"), "http://localhost:3002/");
        let retired = links.iter().find(|l| l.name.contains("retired")).unwrap();
        assert_eq!(retired.modes, "");
    }
}
