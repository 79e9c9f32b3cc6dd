//! Agendas in event descriptions: the action items people type, and the block tete manages.
//!
//! Everything here is pure (text in, values or text out): reading a description for action
//! items ([`items`]) and finding, replacing or inserting tete's marked block in it ([`block`]).
//! Deciding what to write and when belongs to the planner that calls these.

pub mod block;
pub mod items;
