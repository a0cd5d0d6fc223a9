//! Local server speaking the clouds' APIs faithfully, the test bed and sandbox.
