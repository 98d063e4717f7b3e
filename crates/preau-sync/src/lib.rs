//! preau-sync (issue 5, in progress).
