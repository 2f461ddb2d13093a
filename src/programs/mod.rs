//! Node programs in Rust that examples and tests share.

mod flood;

pub use flood::Flood;
