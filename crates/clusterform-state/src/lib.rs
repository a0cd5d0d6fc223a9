//! State file format, local-file backend with locks, and the apply journal.
