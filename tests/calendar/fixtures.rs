//! Real-world fixtures: each has an asserted outcome.
