//! Loading the spec: YAML text → typed [`Spec`] plus a map from spec paths to
//! file positions, so later checks can point at the exact line and column.

mod duration;
mod engine;
mod kubernetes;
pub mod limits;
mod load;
mod positions;
mod reuse;
pub mod scrape;
mod service;
mod split;
mod structure;
mod types;
mod unique;

pub use duration::Duration;
pub use engine::{Agent, Engine};
pub use kubernetes::{DashboardObjects, Kubernetes};
pub use load::{Loaded, codes as load_codes, load};
pub use positions::Positions;
pub use reuse::*;
pub use service::{Service, ServiceAlerts, ServiceLatencySlo, ServiceSlo};
pub use types::*;

/// A spec file's name and text.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// Read a spec file of at most [`limits::MAX_SPEC_BYTES`] bytes.
    pub fn read(path: &std::path::Path) -> std::io::Result<Source> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        // Sized once from the file's length (a `take` reader gives no hint:
        // the buffer would grow, and be copied, several times over).
        let hint = file.metadata().map_or(0, |m| m.len().min(limits::MAX_SPEC_BYTES + 1));
        let mut text = String::with_capacity(hint as usize + 1);
        file.take(limits::MAX_SPEC_BYTES + 1).read_to_string(&mut text)?;
        if text.len() as u64 > limits::MAX_SPEC_BYTES {
            return Err(std::io::Error::other(format!(
                "it is larger than {} MiB, the most genmon reads",
                limits::MAX_SPEC_BYTES >> 20
            )));
        }
        Ok(Source {
            name: path.display().to_string(),
            text,
        })
    }
}
