//! The first start of an installed app: whether to show the welcome (link the laptop to
//! the syndicate's server, or start offline on the built-in reference data; then the
//! letterhead) instead of the home screen.
//!
//! The welcome is shown to a new store only: no visit, no school, not enrolled, and the
//! welcome not finished. A store that already has visits or schools, or is enrolled (an
//! existing user upgrading), never sees it. Once the adviser picks a path the store may
//! gain schools or an enrollment before the welcome ends, so the choice is recorded
//! (`settings` key `welcome`): a welcome left midway comes back at the next start, where
//! it was left.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::ReferenceVersion;
use crate::store::Store;

/// `settings` key: where the welcome stands (JSON of `WelcomeProgress`).
const KEY_WELCOME: &str = "welcome";

/// The two ways to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WelcomePath {
    /// « Relier ce portable au serveur du syndicat »: URL + enrollment code.
    Server,
    /// « Commencer hors ligne »: the built-in reference data, the directory file imported.
    Offline,
}

/// What the store keeps of the welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum WelcomeProgress {
    Started { path: WelcomePath },
    Done,
}

/// What the app needs to decide between the welcome and the home screen, and what the
/// welcome shows (what the first sync or the directory import brought).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FirstStart {
    /// Show the welcome instead of the home screen.
    pub welcome: bool,
    /// The path chosen, when the welcome was left midway.
    pub path: Option<WelcomePath>,
    pub visits: u32,
    pub schools: u32,
    pub enrolled: bool,
    /// A letterhead was saved on this laptop; until then proposals carry the demo one.
    pub letterhead_set: bool,
    /// The letterhead logo is still the demo one shipped with Préau.
    pub demo_logo: bool,
    /// The catalogue and funding rules in use (built in, or published by the server).
    pub catalogue: ReferenceVersion,
    pub funding: ReferenceVersion,
    /// What the syndicate's server sent so far (its version numbers).
    pub received: ReceivedReference,
}

/// The versions of the reference data received from the server; `None`: not received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReceivedReference {
    pub schools: Option<i64>,
    pub catalogue: Option<i64>,
    pub funding: Option<i64>,
}

impl Store {
    fn welcome_progress(&self) -> Result<Option<WelcomeProgress>> {
        match self.setting(KEY_WELCOME)? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| Error::Corrupt {
                    path: self.path().to_path_buf(),
                    reason: format!("settings.welcome: {e}"),
                }),
        }
    }

    fn set_welcome_progress(&self, progress: WelcomeProgress) -> Result<()> {
        let json = serde_json::to_string(&progress)
            .map_err(|e| Error::invalid("welcome", e.to_string()))?;
        self.set_setting(KEY_WELCOME, &json)
    }

    /// Whether this start shows the welcome, and what it shows.
    pub fn first_start(&self) -> Result<FirstStart> {
        let count = |table: &str| -> Result<u32> {
            Ok(self
                .conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        };
        let visits = count("visits")?;
        let schools = count("schools")?;
        let enrolled = self.sync_overview()?.server_url.is_some();
        let progress = self.welcome_progress()?;
        let received = self.sync_reference_versions()?;
        let welcome = match progress {
            Some(WelcomeProgress::Done) => false,
            Some(WelcomeProgress::Started { .. }) => true,
            None => visits == 0 && schools == 0 && !enrolled,
        };
        let path = match progress {
            Some(WelcomeProgress::Started { path }) => Some(path),
            _ => None,
        };
        Ok(FirstStart {
            welcome,
            path,
            visits,
            schools,
            enrolled,
            letterhead_set: self.letterhead_saved()?,
            demo_logo: self.logo_is_demo()?,
            catalogue: self.reference_version("catalogue")?,
            funding: self.reference_version("funding")?,
            received: ReceivedReference {
                schools: received.get("schools").copied(),
                catalogue: received.get("catalogue").copied(),
                funding: received.get("funding").copied(),
            },
        })
    }

    /// Records the path the adviser chose (they may go back and choose the other one).
    /// A finished welcome stays finished.
    pub fn welcome_choose(&mut self, path: WelcomePath) -> Result<FirstStart> {
        if self.welcome_progress()? != Some(WelcomeProgress::Done) {
            self.set_welcome_progress(WelcomeProgress::Started { path })?;
        }
        self.first_start()
    }

    /// The welcome is over: the next starts open on the home screen.
    pub fn welcome_done(&mut self) -> Result<FirstStart> {
        self.set_welcome_progress(WelcomeProgress::Done)?;
        self.first_start()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_in(dir.path()).expect("store opens");
        (dir, store)
    }

    /// The fictional schools of the national directory the tests import.
    fn directory() -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../preau-reference/tests/fixtures/annuaire-education-2024-somme.csv"),
        )
        .expect("fixture")
    }

    #[test]
    fn a_new_store_shows_the_welcome_with_the_built_in_reference_data() {
        let (_dir, store) = new_store();
        let f = store.first_start().expect("first start");
        assert!(f.welcome);
        assert_eq!(f.path, None);
        assert_eq!((f.visits, f.schools, f.enrolled), (0, 0, false));
        assert!(!f.letterhead_set);
        assert!(f.demo_logo);
        assert!(f.catalogue.indicative, "the demo catalogue");
        assert_eq!(f.funding.kind, "funding");
        assert_eq!(f.received, ReceivedReference::default());
    }

    #[test]
    fn an_existing_user_never_sees_it() {
        // Visits only.
        let (_dir, mut store) = new_store();
        store
            .visit_create("80620", "2026-12-03T18:00")
            .expect("visit");
        assert!(!store.first_start().expect("first start").welcome);

        // Schools only.
        let (_dir, mut store) = new_store();
        store.schools_import(directory()).expect("schools");
        let f = store.first_start().expect("first start");
        assert!(!f.welcome);
        assert!(f.schools > 0);

        // Enrolled only.
        let (_dir, mut store) = new_store();
        store
            .sync_enroll("http://127.0.0.1:1", "device", "Claire Martin", "token")
            .expect("enrolled");
        let f = store.first_start().expect("first start");
        assert!(f.enrolled);
        assert!(!f.welcome);
    }

    #[test]
    fn a_welcome_left_midway_comes_back_where_it_was_until_it_is_done() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut store = Store::open_in(dir.path()).expect("store opens");
            let f = store.welcome_choose(WelcomePath::Offline).expect("chosen");
            assert_eq!(f.path, Some(WelcomePath::Offline));
            // The directory imported during the welcome does not end it.
            store.schools_import(directory()).expect("schools");
        }
        let mut store = Store::open_in(dir.path()).expect("store reopens");
        let f = store.first_start().expect("first start");
        assert!(f.welcome);
        assert_eq!(f.path, Some(WelcomePath::Offline));
        let f = store
            .welcome_choose(WelcomePath::Server)
            .expect("other path");
        assert_eq!(f.path, Some(WelcomePath::Server));

        let f = store.welcome_done().expect("done");
        assert!(!f.welcome);
        assert_eq!(f.path, None);
        // Choosing again after the end changes nothing.
        assert!(
            !store
                .welcome_choose(WelcomePath::Offline)
                .expect("ignored")
                .welcome
        );
        drop(store);
        let store = Store::open_in(dir.path()).expect("store reopens");
        assert!(!store.first_start().expect("first start").welcome);
    }

    #[test]
    fn the_letterhead_and_logo_set_are_seen() {
        let (_dir, mut store) = new_store();
        let mut s = store.document_settings().expect("settings");
        s.organisation = "Syndicat du numérique éducatif de la Somme".into();
        store.document_settings_save(&s).expect("saved");
        store.logo_set(None).expect("logo removed");
        let f = store.first_start().expect("first start");
        assert!(f.letterhead_set);
        assert!(!f.demo_logo);
    }
}
