//! `uname`: uname(2) (node_exporter's `uname`).

use super::{Collector, ScrapeContext};
use crate::metric::{Family, Kind, label};

/// The uname collector.
pub struct Uname;

fn field(f: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl Collector for Uname {
    fn name(&self) -> &'static str {
        "uname"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        // SAFETY: utsname is plain data; uname fills it and returns 0 or -1.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut u) } != 0 {
            anyhow::bail!("uname: {}", std::io::Error::last_os_error());
        }
        let mut f = Family::new(
            "node_uname_info",
            Kind::Gauge,
            "Labeled system information as provided by the uname system call.",
        );
        f.push(
            vec![
                label("sysname", field(&u.sysname)),
                label("release", field(&u.release)),
                label("version", field(&u.version)),
                label("machine", field(&u.machine)),
                label("nodename", field(&u.nodename)),
                label("domainname", field(&u.domainname)),
            ],
            1.0,
        );
        Ok(vec![f])
    }
}
