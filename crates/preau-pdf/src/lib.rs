//! PDF rendering of proposal snapshots.
