//! How large the window draws the app on this laptop (Ctrl + / − / 0): a setting of the
//! laptop (the `settings` table is never synced), so each adviser's screen keeps its own.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::store::Store;

/// `settings` key of the zoom (the percentage as text).
const KEY_ZOOM: &str = "ui_zoom";

/// The window's zoom, in percent of the normal size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Zoom {
    pub percent: u16,
}

impl Zoom {
    pub const NORMAL: Zoom = Zoom { percent: 100 };
    pub const MIN_PERCENT: u16 = 50;
    pub const MAX_PERCENT: u16 = 300;

    /// A zoom between 50 % and 300 %, else a French message for field `zoom`.
    pub fn new(percent: u16) -> Result<Zoom> {
        if (Self::MIN_PERCENT..=Self::MAX_PERCENT).contains(&percent) {
            Ok(Zoom { percent })
        } else {
            Err(Error::invalid(
                "zoom",
                format!(
                    "Le zoom doit être compris entre {} % et {} %.",
                    Self::MIN_PERCENT,
                    Self::MAX_PERCENT
                ),
            ))
        }
    }

    /// The scale factor the webview takes (1.0 = normal).
    pub fn factor(self) -> f64 {
        f64::from(self.percent) / 100.0
    }
}

impl Store {
    /// The zoom saved on this laptop; the normal size when none was saved, or when the
    /// stored value is not one (a damaged setting must not keep the window unreadable).
    pub fn zoom(&self) -> Result<Zoom> {
        Ok(self
            .setting(KEY_ZOOM)?
            .and_then(|v| v.parse::<u16>().ok())
            .and_then(|p| Zoom::new(p).ok())
            .unwrap_or(Zoom::NORMAL))
    }

    /// Saves the zoom of this laptop; answers it as saved.
    pub fn zoom_save(&mut self, zoom: Zoom) -> Result<Zoom> {
        let zoom = Zoom::new(zoom.percent)?;
        self.set_setting(KEY_ZOOM, &zoom.percent.to_string())?;
        Ok(zoom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zoom_is_between_50_and_300_percent() {
        assert!(Zoom::new(49).is_err());
        assert!(Zoom::new(301).is_err());
        assert_eq!(Zoom::new(50).map(Zoom::factor).ok(), Some(0.5));
        assert_eq!(Zoom::new(300).map(|z| z.percent).ok(), Some(300));
        let err = Zoom::new(0).expect_err("0 %");
        assert_eq!(err.field(), Some("zoom"));
    }

    #[test]
    fn the_zoom_is_kept_and_a_damaged_one_is_the_normal_size() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open_in(dir.path()).expect("store");
        assert_eq!(store.zoom().expect("zoom"), Zoom::NORMAL);
        let big = Zoom::new(150).expect("150");
        assert_eq!(store.zoom_save(big).expect("saved"), big);
        assert_eq!(store.zoom().expect("zoom"), big);
        assert!(store.zoom_save(Zoom { percent: 1000 }).is_err());
        assert_eq!(store.zoom().expect("zoom"), big);
        store.set_setting(KEY_ZOOM, "énorme").expect("damage");
        assert_eq!(store.zoom().expect("zoom"), Zoom::NORMAL);
    }
}
