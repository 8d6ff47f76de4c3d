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
    /// The first call per process probes for the driver library (opened at
    /// run time, so kusari builds and runs without CUDA), initializes it and
    /// counts devices; the first call per ordinal sets the device up (context,
    /// stream, memory pool; see [`crate::cuda`]). Errors name what is missing
    /// ("CUDA driver library not found"), or the ordinal and the device count.
    ///
    /// ```
    /// use kusari_array::Device;
    /// // On a machine without CUDA this is an error, never a crash.
    /// if let Err(e) = Device::cuda(0) { assert!(e.to_string().contains("CUDA")); }
    /// ```
    pub fn cuda(ordinal: usize) -> Result<Device> {
        crate::backend::cuda::device(ordinal)?;
        Ok(Device::Cuda(ordinal))
    }

    /// Parses `"cpu"`, `"cuda"` (= `"cuda:0"`, also `"gpu"`) or `"cuda:N"`; CUDA
    /// devices are checked as by [`Device::cuda`].
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

#[cfg(test)]
mod tests {
    use super::Device;

    /// This machine has no CUDA: asking for a GPU must be a clear error, not a
    /// panic from inside the dynamically loaded bindings.
    #[test]
    fn cuda_without_a_driver_is_an_error_naming_the_library() {
        // SAFETY: only tries to open the library.
        if unsafe { cudarc::driver::sys::is_culib_present() } {
            assert!(Device::cuda(usize::MAX).is_err());
            return;
        }
        for r in [
            Device::cuda(0),
            Device::cuda(3),
            Device::parse("cuda:1"),
            Device::parse("gpu"),
        ] {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("CUDA driver library not found"), "{e}");
        }
        assert_eq!(Device::parse("cpu").unwrap(), Device::Cpu);
    }
}
