//! The profiles a fleet is made of: the shipped ones (embedded, so an
//! installed binary needs no data folder) or every `*.toml` in a folder.

use std::path::Path;
use std::sync::Arc;

use agent_core::policy::Compliance;
use agent_core::posture::Posture;
use agent_core::probe::PostureProbe;
use time::OffsetDateTime;

pub use crate::targets::profile::SHIPPED;
use crate::targets::profile::{Profile, load_profile};

/// One profile with the file name its posture sources mention.
#[derive(Debug)]
pub struct NamedProfile {
    /// The file name (never the folder: it may hold a user name).
    pub file: String,
    /// The profile.
    pub profile: Profile,
}

impl NamedProfile {
    /// The verdict the default policy gives this profile.
    pub fn expected(&self) -> Compliance {
        self.profile.expected
    }
}

/// Parses the embedded profiles.
pub fn shipped() -> Result<Vec<Arc<NamedProfile>>, String> {
    SHIPPED
        .iter()
        .map(|(file, text)| {
            let profile: Profile =
                toml::from_str(text).map_err(|e| format!("shipped profile {file}: {e}"))?;
            Ok(Arc::new(NamedProfile {
                file: (*file).to_owned(),
                profile,
            }))
        })
        .collect()
}

/// Loads every `*.toml` in `dir`, sorted by name, so round-robin
/// assignment is the same on every run.
pub fn from_dir(dir: &Path) -> Result<Vec<Arc<NamedProfile>>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("profiles folder {}: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("profiles folder {}: {e}", dir.display()))?
            .path();
        if path.extension().is_some_and(|x| x == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(format!(
            "profiles folder {} has no *.toml profiles",
            dir.display()
        ));
    }
    paths
        .iter()
        .map(|path| {
            let profile = load_profile(path).map_err(|e| e.to_string())?;
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Arc::new(NamedProfile { file, profile }))
        })
        .collect()
}

/// A virtual device's probe: its profile's posture at the time of asking.
#[derive(Debug)]
pub struct FleetProbe(pub Arc<NamedProfile>);

impl PostureProbe for FleetProbe {
    fn collect(&self) -> Posture {
        self.0
            .profile
            .posture(&self.0.file, OffsetDateTime::now_utc())
    }
}
