//! preau-server (issue 5, in progress).
