//! A strict in-memory provider for engine tests (dev-only).
