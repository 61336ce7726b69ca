//! What the engine can learn of the device it runs on, for the centre's device board: its
//! maker and model ("HUAWEI MatePad 11"), so a team leader tells tablets apart by the name
//! on their back rather than by an ID.
//!
//! Android keeps them as system properties (`ro.product.manufacturer`, `ro.product.model`),
//! which any app may read with the `getprop` tool every Android build ships; a Linux
//! machine (a desktop running the app, a test box running the support CLI) has them in the
//! firmware's DMI table under `/sys/class/dmi/id`. Elsewhere, or when neither answers, the
//! model is unknown and the board names the device by its owner alone. Read once per
//! process: a device does not change model while running.

use std::sync::OnceLock;

/// The longest model name sent (the centre's limit for a label).
const MAX_CHARS: usize = 120;

/// The device's maker and model, if the platform says.
#[must_use]
pub fn device_model() -> Option<String> {
    static MODEL: OnceLock<Option<String>> = OnceLock::new();
    MODEL.get_or_init(read_model).clone()
}

#[cfg(target_os = "android")]
fn read_model() -> Option<String> {
    let prop = |name: &str| {
        std::process::Command::new("/system/bin/getprop")
            .arg(name)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    model_name(
        prop("ro.product.manufacturer").as_deref(),
        prop("ro.product.model").as_deref(),
    )
}

#[cfg(all(target_os = "linux", not(target_os = "android")))]
fn read_model() -> Option<String> {
    let dmi = |name: &str| std::fs::read_to_string(format!("/sys/class/dmi/id/{name}")).ok();
    model_name(dmi("sys_vendor").as_deref(), dmi("product_name").as_deref())
}

#[cfg(not(target_os = "linux"))]
fn read_model() -> Option<String> {
    None
}

/// One name from a maker and a model as the platform gives them: trimmed, the maker left
/// out when the model already starts with it ("samsung" + "SM-T505" but not "Lenovo" +
/// "Lenovo TB-X606F"), placeholders the firmware leaves unset dropped, and cut to a
/// label's length.
#[must_use]
pub fn model_name(maker: Option<&str>, model: Option<&str>) -> Option<String> {
    fn clean(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| {
            !s.is_empty()
                && ![
                    "to be filled by o.e.m.",
                    "default string",
                    "system product name",
                    "unknown",
                ]
                .contains(&s.to_lowercase().as_str())
        })
    }
    let name = match (clean(maker), clean(model)) {
        (Some(maker), Some(model)) if model.to_lowercase().starts_with(&maker.to_lowercase()) => {
            model.to_owned()
        }
        (Some(maker), Some(model)) => format!("{maker} {model}"),
        (None, Some(model)) => model.to_owned(),
        (Some(_) | None, None) => return None,
    };
    Some(name.chars().take(MAX_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_named_once_with_its_maker_and_placeholders_are_dropped() {
        assert_eq!(
            model_name(Some("HUAWEI\n"), Some("BAH3-W09\n")).as_deref(),
            Some("HUAWEI BAH3-W09")
        );
        assert_eq!(
            model_name(Some("LENOVO"), Some("Lenovo TB-X606F")).as_deref(),
            Some("Lenovo TB-X606F")
        );
        assert_eq!(
            model_name(Some("To Be Filled By O.E.M."), Some("Default string")),
            None
        );
        assert_eq!(
            model_name(Some("QEMU"), None),
            None,
            "a maker alone names nothing"
        );
        assert_eq!(
            model_name(None, Some("SM-T505")).as_deref(),
            Some("SM-T505")
        );
        let long = "x".repeat(500);
        assert_eq!(
            model_name(None, Some(&long)).map(|m| m.chars().count()),
            Some(MAX_CHARS)
        );
    }
}
