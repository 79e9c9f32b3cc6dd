//! The agenda writer: what goes into each upcoming 1:1's description.

pub mod template;
