//! The UI launcher list (`contracts/ui-registry.json`): which web UIs exist and where.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// A way of running the system (SPEC section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentMode {
    AllInOne,
    Distributed,
    Cluster,
}

/// The whole registry, as `contracts/ui-registry.json` holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiRegistry {
    pub registry_version: String,
    pub base_url: String,
    pub entries: Vec<UiEntry>,
}

/// One web UI an operator can open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiEntry {
    pub id: String,
    pub name: String,
    pub port: u16,
    pub path: String,
    pub emoji: String,
    pub description: String,
    /// The modes that run this UI; empty for a retired entry kept for its explanation.
    pub modes: Vec<DeploymentMode>,
}

impl UiRegistry {
    /// The entries a given mode runs, in registry order.
    pub fn entries_for(&self, mode: DeploymentMode) -> impl Iterator<Item = &UiEntry> {
        self.entries
            .iter()
            .filter(move |entry| entry.modes.contains(&mode))
    }

    /// The address of `entry` under this registry's base URL, e.g. `http://localhost:3000/docs`.
    pub fn url(&self, entry: &UiEntry) -> String {
        format!("{}:{}{}", self.base_url, entry.port, entry.path)
    }
}

const SOURCE: &str = include_str!("../../../contracts/ui-registry.json");

static REGISTRY: LazyLock<UiRegistry> = LazyLock::new(|| {
    serde_json::from_str(SOURCE).expect("the embedded ui-registry.json matches UiRegistry")
});

/// The registry embedded at build time.
pub fn ui_registry() -> &'static UiRegistry {
    &REGISTRY
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Schema;

    #[test]
    fn the_embedded_registry_satisfies_its_schema() {
        let document: serde_json::Value = serde_json::from_str(SOURCE).unwrap();
        assert_eq!(Schema::UiRegistry.validate(&document), Ok(()));
    }

    #[test]
    fn every_mode_runs_the_dashboard_and_only_the_cluster_runs_grafana() {
        let registry = ui_registry();
        let ids = |mode| {
            registry
                .entries_for(mode)
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
        };
        assert!(ids(DeploymentMode::AllInOne).contains(&"dashboard"));
        assert!(!ids(DeploymentMode::Distributed).contains(&"grafana"));
        assert!(ids(DeploymentMode::Cluster).contains(&"grafana"));
        let docs = registry
            .entries
            .iter()
            .find(|e| e.id == "gateway-docs")
            .unwrap();
        assert_eq!(registry.url(docs), "http://localhost:3000/docs");
    }

    #[test]
    fn mongo_express_is_kept_but_run_by_no_mode() {
        let entry = ui_registry()
            .entries
            .iter()
            .find(|e| e.id == "mongo-express")
            .unwrap();
        assert!(entry.modes.is_empty());
        assert!(entry.description.contains("PostgreSQL"));
    }
}
