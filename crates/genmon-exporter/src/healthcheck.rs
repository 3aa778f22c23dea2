//! `genmon-exporter --health-check URL`: a container HEALTHCHECK without curl.
//! One GET, bounded in time (the whole exchange, not each read) and in memory
//! (only the status line and headers are read; the body is never read).

use std::time::Duration;

/// Time allowed for the whole check.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// GET `url` and succeed on a 200 answered within `timeout`. Credentials
/// in the URL (`http://user:pass@host/`) are sent as basic auth.
pub fn check(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("health check: invalid URL {url:?}: {e}"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        anyhow::bail!("health check: {url:?} is not an http:// or https:// URL");
    }
    let shown = super::collectors::probe::redact_url(&parsed);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .user_agent(concat!("genmon-exporter/", env!("CARGO_PKG_VERSION"), " health-check"))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let resp = match tokio::time::timeout(timeout, client.get(parsed).send()).await {
            Err(_) => anyhow::bail!("health check: {shown} did not answer within {timeout:?}"),
            Ok(Err(e)) => anyhow::bail!("health check: {shown}: {:#}", anyhow::Error::from(e.without_url())),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        drop(resp);
        if status != 200 {
            anyhow::bail!("health check: {shown} answered {status}, not 200");
        }
        println!("ok: {shown} answered 200");
        Ok(())
    })
}
