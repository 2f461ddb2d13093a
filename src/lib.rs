//! # vnet
//!
//! A discrete-event simulator for heterogeneous networks of virtual machines. This facade
//! re-exports the member crates and adds what examples and tests share:
//! - [`sim`] — the kernel ([`vnet_sim`]): time, events, network, programs, topologies, traces.
//! - [`sensors`] — synthetic and recorded sensor sources.
//! - [`hw`] — hardware in the loop ([`vnet_hw`]).
//! - [`studio`] — the web GUI ([`vnet_studio`]).
//! - [`programs`] — node programs in Rust (flooding, …).
//! - [`scenarios`] — ready-made experiments (the mesh flood of the paper's §V, the sensor
//!   field, …).
//! - [`plot`] — PNG charts for `results/`, and pictures of networks.
//! - [`layout`] — positions for drawing a network that has none; [`network_picture`] draws one.
//! - [`study`] — replications, summaries and CSV tables for the study examples.
//! - [`heap`] — a counting global allocator for memory measurements.

#![warn(missing_docs)]

pub mod heap;
/// Positions for drawing a network that has none (the studio's; re-exported).
pub use vnet_studio::layout;
pub mod network_picture;
pub mod plot;
pub mod programs;
pub mod scenarios;
pub mod study;

pub use sensors;
pub use vnet_hw as hw;
pub use vnet_sim as sim;
pub use vnet_studio as studio;

/// The README's code, compiled and run as a doctest so the tour stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
