//! `stack/port`: the stack's ports are non-zero and distinct (a collision or
//! port 0 makes one service fail to start, or bind a random port).

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct StackPorts;

const PORT: &str = "stack/port";

impl Check for StackPorts {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(PORT, "a stack port is 0 or used by two services")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let s = &cx.spec.stack;
        let ports = [
            ("exporter_port", s.exporter_port),
            ("prometheus_port", s.prometheus_port),
            ("alertmanager_port", s.alertmanager_port),
            ("grafana_port", s.grafana_port),
            ("engine_port", s.engine_port),
            ("agent_port", s.agent_port),
            ("ruler_port", s.ruler_port),
        ];
        let mut out = Vec::new();
        for (i, (name, port)) in ports.iter().enumerate() {
            if *port == 0 {
                out.push(
                    Diagnostic::error(PORT, format!("stack.{name}"), format!("`{name}` is 0"))
                        .help("choose a fixed port (1-65535): port 0 binds a random one nobody can find"),
                );
            } else if let Some((other, _)) = ports[..i].iter().find(|(_, p)| p == port) {
                out.push(
                    Diagnostic::error(PORT, format!("stack.{name}"), format!("port {port} is also `{other}`"))
                        .help("give each service its own port"),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_zero_and_colliding_ports() {
        let y = "version: 1\nstack: {exporter_port: 0, prometheus_port: 9093, alertmanager_port: 9093, grafana_port: 3000}\n";
        assert_eq!(
            problems(&StackPorts, y),
            ["stack/port@stack.exporter_port", "stack/port@stack.alertmanager_port"]
        );
        assert!(problems(&StackPorts, "version: 1\n").is_empty());
    }
}
