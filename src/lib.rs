pub use vnet_sim as sim;
