//! Conversions: `cast` (dtype) and `copy` (device).

use crate::array::{Array, DType, Device, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

struct Cast {
    dtype: DType,
}

impl FunctionNode for Cast {
    fn label(&self) -> &str {
        "Cast"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].astype(self.dtype)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(cast(&gy[0], ctx.input_dtype(0))?)])
    }
}

/// `x` converted to `dtype` (Chainer's `F.cast`); the gradient is cast back.
/// Returns `x` itself when it already has that dtype, as Chainer does.
pub fn cast(x: &Variable, dtype: DType) -> Result<Variable> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    apply1(Cast { dtype }, &[x])
}

struct Copy {
    device: Device,
    source: Device,
}

impl FunctionNode for Copy {
    fn label(&self) -> &str {
        "Copy"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].to_device(self.device)?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(copy(&gy[0], self.source)?)])
    }
}

/// `x` on `device` (Chainer's `F.copy`), through [`Array::to_device`]; the
/// gradient travels back to `x`'s device.
pub fn copy(x: &Variable, device: Device) -> Result<Variable> {
    apply1(
        Copy {
            device,
            source: x.device(),
        },
        &[x],
    )
}
