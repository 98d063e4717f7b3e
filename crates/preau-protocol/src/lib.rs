//! preau-protocol (issue 5, in progress).
