//! Automatic layout on Grafana's 24-column grid: panels flow left to right
//! and wrap; a row takes a full-width line of height 1.

use super::GridPos;
use crate::spec::{Panel, PanelType};

/// Grid width.
pub const COLUMNS: u32 = 24;

/// Default size of a panel: graphs get half the width, single values a quarter.
pub fn size(p: &Panel) -> (u32, u32) {
    let (w, h) = match p.kind {
        PanelType::Stat | PanelType::Gauge => (6, 4),
        PanelType::Table | PanelType::Text => (24, 8),
        _ => (12, 8),
    };
    let w = p.width.map(u32::from).unwrap_or(w).clamp(1, COLUMNS);
    let h = p.height.map(u32::from).unwrap_or(h).max(1);
    (w, h)
}

/// Flow layout starting at line `y`.
#[derive(Debug)]
pub struct Flow {
    x: u32,
    y: u32,
    line_h: u32,
}

impl Flow {
    pub fn new(y: u32) -> Flow {
        Flow { x: 0, y, line_h: 0 }
    }

    /// Place a `w`×`h` panel.
    pub fn place(&mut self, w: u32, h: u32) -> GridPos {
        if self.x + w > COLUMNS {
            self.y += self.line_h;
            self.x = 0;
            self.line_h = 0;
        }
        let pos = GridPos {
            x: self.x,
            y: self.y,
            w,
            h,
        };
        self.x += w;
        self.line_h = self.line_h.max(h);
        pos
    }

    /// The first free line below everything placed.
    pub fn bottom(&self) -> u32 {
        self.y + self.line_h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_never_overlaps() {
        let mut f = Flow::new(0);
        let a = f.place(12, 8);
        let b = f.place(12, 8);
        let c = f.place(6, 4);
        assert_eq!((a.x, a.y, b.x, b.y, c.x, c.y), (0, 0, 12, 0, 0, 8));
        assert_eq!(f.bottom(), 12);
    }
}
