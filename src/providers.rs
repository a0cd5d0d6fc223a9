//! The providers this build knows: their schemas (for validation and planning) and constructors.

use clusterform_config::Schemas;

/// Schemas of every provider, by provider name.
pub fn schemas() -> Schemas {
    let mut s = Schemas::new();
    let huawei = clusterform_provider_huawei::provider_schema();
    s.insert(huawei.name.clone(), huawei);
    s
}
