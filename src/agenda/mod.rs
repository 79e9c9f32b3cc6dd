//! Agendas in event descriptions: the action items people type, the block tete manages,
//! the template that fills it, the plan of what to write, and the writes themselves.
//!
//! [`items`], [`block`], [`template`] and [`plan`] are pure (text and values in, values
//! out); [`write`] is the only part that touches a calendar.

pub mod block;
pub mod companion;
pub mod items;
pub mod plan;
pub mod template;
pub mod write;
