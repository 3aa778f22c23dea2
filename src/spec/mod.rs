//! Loading the spec: YAML text → typed [`Spec`] plus a map from spec paths to
//! file positions, so later checks can point at the exact line and column.

mod duration;
mod load;
mod positions;
mod structure;
mod types;

pub use duration::Duration;
pub use load::{Loaded, codes as load_codes, load};
pub use positions::Positions;
pub use types::*;

/// A spec file's name and text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// Read a spec file.
    pub fn read(path: &std::path::Path) -> std::io::Result<Source> {
        Ok(Source {
            name: path.display().to_string(),
            text: std::fs::read_to_string(path)?,
        })
    }
}
