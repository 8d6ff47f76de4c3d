//! Memory management: the caching host pool and the buffers arrays live in.

mod host_pool;

pub(crate) use host_pool::CpuBuffer;
pub use host_pool::{host_pool, HostPool};
