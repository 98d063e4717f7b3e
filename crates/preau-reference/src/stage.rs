//! Where the service stands in a commune, as both maps read it: the back-office's Carte
//! and the app's Communes screen use the same five stages, labels and colours (the CSS
//! class names are [`Stage::key`]).

use serde::{Deserialize, Serialize};

/// The most advanced wins: the order of the variants is the order of progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Its EPCI is not a member of the syndicate (and nothing happened there).
    NotMember,
    /// A member, not visited.
    Member,
    /// Visited, no proposal issued.
    Visited,
    /// A proposal issued, none accepted (pending, refused or expired).
    Issued,
    /// A proposal accepted.
    Accepted,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::NotMember,
        Stage::Member,
        Stage::Visited,
        Stage::Issued,
        Stage::Accepted,
    ];

    /// The legend's wording (the back-office's Carte says the same).
    pub fn label(self) -> &'static str {
        match self {
            Stage::NotMember => "Hors syndicat",
            Stage::Member => "Adhérente, pas encore visitée",
            Stage::Visited => "Visitée",
            Stage::Issued => "Proposition émise",
            Stage::Accepted => "Proposition acceptée",
        }
    }

    /// The CSS class of its paths, swatches and cells.
    pub fn key(self) -> &'static str {
        match self {
            Stage::NotMember => "hors",
            Stage::Member => "adherente",
            Stage::Visited => "visitee",
            Stage::Issued => "emise",
            Stage::Accepted => "acceptee",
        }
    }

    /// Before any visit: member or not, as the commune's EPCI is.
    pub fn unvisited(member: bool) -> Stage {
        if member {
            Stage::Member
        } else {
            Stage::NotMember
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_the_order_and_keys_are_distinct() {
        let mut sorted = Stage::ALL;
        sorted.sort();
        assert_eq!(sorted, Stage::ALL);
        let keys: std::collections::HashSet<_> = Stage::ALL.iter().map(|s| s.key()).collect();
        assert_eq!(keys.len(), 5);
        assert_eq!(Stage::unvisited(true), Stage::Member);
        assert_eq!(Stage::unvisited(false), Stage::NotMember);
    }
}
