//! Where an array's memory lives.

use crate::{Error, Result};
use std::fmt;

/// A device an array can live on. Operations never move data between devices
/// on their own: mixing devices is an error naming both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory; kernels run on the CPU's threads.
    #[default]
    Cpu,
    /// An NVIDIA GPU by ordinal.
    Cuda(usize),
}

impl Device {
    /// The host.
    pub const fn cpu() -> Device {
        Device::Cpu
    }

    /// The CUDA device `ordinal`, or an error saying why it cannot be used.
    ///
    /// ```
    /// use kusari_array::Device;
    /// // On a machine without CUDA this is an error, never a crash.
    /// if let Err(e) = Device::cuda(0) { assert!(e.to_string().contains("CUDA")); }
    /// ```
    pub fn cuda(ordinal: usize) -> Result<Device> {
        Err(Error::Device {
            op: "Device::cuda",
            message: format!(
                "cannot use cuda:{ordinal}: the CUDA backend is not part of this build of kusari-array yet"
            ),
        })
    }

    /// Parses `"cpu"`, `"cuda"` or `"cuda:N"`.
    pub fn parse(s: &str) -> Result<Device> {
        match s {
            "cpu" => Ok(Device::Cpu),
            "cuda" | "gpu" => Device::cuda(0),
            _ => match s.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
                Some(n) => Device::cuda(n),
                None => Err(Error::value(
                    "Device::parse",
                    format!("expected \"cpu\" or \"cuda:N\", found {s:?}"),
                )),
            },
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}
