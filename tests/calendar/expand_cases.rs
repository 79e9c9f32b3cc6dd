//! Expansion cases checked into tests/data/expand: each calendar with its expected output,
//! cross-checked against recurring-ical-events or written by hand (see cases.json).
