//! Products and linear algebra (Chainer's `chainer.functions.math`):
//! `matmul_with` (transa/transb), `batch_matmul`, `tensordot`, `einsum`,
//! `det`, `inv`.

use super::lambda::Lambda;
use super::{expect_float, expect_same_dtype, matmul, mul, reshape, transpose};
use crate::array::ops::linalg;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply, apply1, BackwardContext, FunctionNode};
use crate::Variable;

/// Swaps the last two axes (a view).
fn swap_last(v: &Variable) -> Result<Variable> {
    let n = v.ndim();
    let mut axes: Vec<isize> = (0..n as isize).collect();
    axes.swap(n - 2, n - 1);
    transpose(v, Some(&axes))
}

/// `op(a) @ op(b)` where `op` transposes the last two axes when asked
/// (Chainer's `F.matmul(a, b, transa, transb)`; [`super::matmul`] is the
/// plain product).
pub fn matmul_with(a: &Variable, b: &Variable, transa: bool, transb: bool) -> Result<Variable> {
    if a.ndim() < 2 || b.ndim() < 2 {
        return Err(Error::Shape {
            op: "matmul",
            message: format!(
                "expected a.ndim >= 2 and b.ndim >= 2, got {} and {}",
                a.ndim(),
                b.ndim()
            ),
        });
    }
    let a = if transa { swap_last(a)? } else { a.clone() };
    let b = if transb { swap_last(b)? } else { b.clone() };
    matmul(&a, &b)
}

/// Batched product of `(B, N, M)` and `(B, M, K)` stacks; a 2-D `(B, N)`
/// operand is a stack of column vectors `(B, N, 1)` (Chainer's deprecated
/// `F.batch_matmul`).
pub fn batch_matmul(a: &Variable, b: &Variable, transa: bool, transb: bool) -> Result<Variable> {
    let as3 = |v: &Variable, name: &str| -> Result<Variable> {
        match v.ndim() {
            2 => {
                let s = v.shape();
                reshape(v, &[s[0], s[1], 1])
            }
            3 => Ok(v.clone()),
            n => Err(Error::Shape {
                op: "batch_matmul",
                message: format!("expected {name}.ndim == 2 or 3, got {n}"),
            }),
        }
    };
    matmul_with(&as3(a, "a")?, &as3(b, "b")?, transa, transb)
}

/// Sum of products over paired axes (NumPy's/Chainer's `tensordot` with
/// explicit axis lists), built from transpose, reshape and matmul so its
/// gradients come from theirs.
pub fn tensordot(
    a: &Variable,
    b: &Variable,
    axes_a: &[isize],
    axes_b: &[isize],
) -> Result<Variable> {
    expect_float("tensordot", "a", a.dtype())?;
    expect_same_dtype("tensordot", a.dtype(), b.dtype())?;
    // The array version validates axes and shapes with NumPy's messages.
    linalg::tensordot(
        &Array::zeros(&a.shape(), a.dtype())?,
        &Array::zeros(&b.shape(), b.dtype())?,
        axes_a,
        axes_b,
    )?;
    let norm = |ax: &[isize], nd: usize| -> Vec<usize> {
        ax.iter()
            .map(|&x| {
                if x < 0 {
                    (x + nd as isize) as usize
                } else {
                    x as usize
                }
            })
            .collect()
    };
    let (sa, sb) = (norm(axes_a, a.ndim()), norm(axes_b, b.ndim()));
    let free_a: Vec<usize> = (0..a.ndim()).filter(|i| !sa.contains(i)).collect();
    let free_b: Vec<usize> = (0..b.ndim()).filter(|i| !sb.contains(i)).collect();
    let (ash, bsh) = (a.shape(), b.shape());
    let m: usize = free_a.iter().map(|&i| ash[i]).product();
    let n: usize = free_b.iter().map(|&i| bsh[i]).product();
    let k: usize = sa.iter().map(|&i| ash[i]).product();
    let pa: Vec<isize> = free_a.iter().chain(&sa).map(|&i| i as isize).collect();
    let pb: Vec<isize> = sb.iter().chain(&free_b).map(|&i| i as isize).collect();
    let a2 = reshape(&transpose(a, Some(&pa))?, &[m, k])?;
    let b2 = reshape(&transpose(b, Some(&pb))?, &[k, n])?;
    let out: Vec<usize> = free_a
        .iter()
        .map(|&i| ash[i])
        .chain(free_b.iter().map(|&i| bsh[i]))
        .collect();
    reshape(&matmul(&a2, &b2)?, &out)
}

/// Parsed einsum subscripts: one index string per operand and the output.
fn parse_einsum(s: &str, nops: usize) -> Result<(Vec<Vec<char>>, Vec<char>)> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match s.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (s.clone(), None),
    };
    let ins: Vec<Vec<char>> = lhs.split(',').map(|p| p.chars().collect()).collect();
    let letters = ins.iter().flatten().all(|c| c.is_ascii_alphabetic())
        && rhs
            .as_deref()
            .unwrap_or("")
            .chars()
            .all(|c| c.is_ascii_alphabetic());
    if ins.len() != nops || !letters {
        return Err(Error::Value {
            op: "einsum",
            message: format!("expected {nops} comma-separated operand subscripts of letters (no '...'), got {s:?}"),
        });
    }
    let out: Vec<char> = match rhs {
        Some(r) => r.chars().collect(),
        None => {
            // Implicit output: the indices seen once, in alphabetical order.
            let mut once: Vec<char> = ins
                .iter()
                .flatten()
                .copied()
                .filter(|c| ins.iter().flatten().filter(|d| *d == c).count() == 1)
                .collect();
            once.sort_unstable();
            once
        }
    };
    Ok((ins, out))
}

struct Einsum {
    ins: Vec<Vec<char>>,
    out: Vec<char>,
}

fn subscripts(ins: &[Vec<char>], out: &[char]) -> String {
    let l: Vec<String> = ins.iter().map(|v| v.iter().collect()).collect();
    format!("{}->{}", l.join(","), out.iter().collect::<String>())
}

impl FunctionNode for Einsum {
    fn label(&self) -> &str {
        "EinSum"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        for (i, a) in x.iter().enumerate() {
            expect_float("einsum", "operand", a.dtype())?;
            expect_same_dtype("einsum", x[0].dtype(), a.dtype())?;
            if a.ndim() != self.ins[i].len() {
                return Err(Error::Shape {
                    op: "einsum",
                    message: format!(
                        "operand {i} has {} dimensions but its subscripts {:?} name {}",
                        a.ndim(),
                        self.ins[i].iter().collect::<String>(),
                        self.ins[i].len()
                    ),
                });
            }
        }
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![linalg::einsum(&subscripts(&self.ins, &self.out), x)?])
    }
    fn retain_inputs(&self) -> &[usize] {
        const ALL: [usize; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        &ALL[..self.ins.len()]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let xs: Vec<Variable> = (0..self.ins.len()).map(|i| ctx.input(i)).collect();
        (0..self.ins.len())
            .map(|i| {
                if !ctx.needs_input_grad(i) {
                    return Ok(None);
                }
                // d/dx_i: contract gy with the other operands onto x_i's indices.
                let mut ins = vec![self.out.clone()];
                let mut ops = vec![gy[0].clone()];
                for (j, s) in self.ins.iter().enumerate() {
                    if j != i {
                        ins.push(s.clone());
                        ops.push(xs[j].clone());
                    }
                }
                let seen: Vec<char> = ins.iter().flatten().copied().collect();
                // Indices only x_i has were summed away: broadcast back over them.
                let target: Vec<char> = self.ins[i]
                    .iter()
                    .copied()
                    .filter(|c| seen.contains(c))
                    .collect();
                let shape = ctx.input_shape(i);
                let g = einsum_parsed(ins, target.clone(), &ops)?;
                let mut kshape = Vec::with_capacity(shape.len());
                let gs = g.shape();
                for c in &self.ins[i] {
                    kshape.push(match target.iter().position(|t| t == c) {
                        Some(p) => gs[p],
                        None => 1,
                    });
                }
                let g = reshape(&g, &kshape)?;
                let g = super::broadcast_to(&g, &broadcast_shape(&kshape, &shape))?;
                Ok(Some(super::sum_to(&g, &shape)?))
            })
            .collect()
    }
}

/// The broadcast of two same-rank shapes.
fn broadcast_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().zip(b).map(|(&x, &y)| x.max(y)).collect()
}

fn einsum_parsed(ins: Vec<Vec<char>>, out: Vec<char>, ops: &[Variable]) -> Result<Variable> {
    let refs: Vec<&Variable> = ops.iter().collect();
    Ok(apply(Einsum { ins, out }, &refs)?.swap_remove(0))
}

/// Einstein summation over the operands, e.g. `"ij,jk->ik"` (Chainer's
/// `F.einsum`; explicit or implicit output, no `...`, at most 16 operands).
pub fn einsum(subscripts: &str, operands: &[&Variable]) -> Result<Variable> {
    if operands.is_empty() || operands.len() > 16 {
        return Err(Error::Value {
            op: "einsum",
            message: format!("expected 1 to 16 operands, got {}", operands.len()),
        });
    }
    let (ins, out) = parse_einsum(subscripts, operands.len())?;
    apply1(Einsum { ins, out }, operands)
}

fn check_square(op: &'static str, a: &Variable) -> Result<()> {
    expect_float(op, "a", a.dtype())?;
    let s = a.shape();
    if s.len() < 2 || s[s.len() - 1] != s[s.len() - 2] {
        return Err(Error::Shape {
            op,
            message: format!("expected a.shape[-1] == a.shape[-2] and a.ndim >= 2, got {s:?}"),
        });
    }
    Ok(())
}

/// Matrix inverse over the last two axes, batched (Chainer's `F.inv` and
/// `F.batch_inv`). A singular matrix is an error.
pub fn inv(a: &Variable) -> Result<Variable> {
    check_square("inv", a)?;
    apply1(
        Lambda {
            label: "Inv",
            op: "inv",
            retain_in: &[],
            retain_out: &[0],
            fwd: |x: &[&Array]| linalg::inv(x[0]),
            bwd: |ctx: &BackwardContext<'_>, gy: &Variable| {
                // d(A^-1) = -A^-1 dA A^-1, so gA = -A^-T gy A^-T.
                let yt = swap_last(&ctx.output(0))?;
                Ok(vec![Some(super::neg(&matmul(&matmul(&yt, gy)?, &yt)?)?)])
            },
        },
        &[a],
    )
}

/// Determinant over the last two axes, batched (Chainer's `F.det` and
/// `F.batch_det`); the gradient `det(A) A^-T` needs `A` invertible.
pub fn det(a: &Variable) -> Result<Variable> {
    check_square("det", a)?;
    apply1(
        Lambda {
            label: "Det",
            op: "det",
            retain_in: &[0],
            retain_out: &[0],
            fwd: |x: &[&Array]| linalg::det(x[0]),
            bwd: |ctx: &BackwardContext<'_>, gy: &Variable| {
                let a = ctx.input(0);
                let mut s = gy.shape();
                s.extend([1, 1]);
                let shape = a.shape();
                let c = super::broadcast_to(&reshape(&mul(gy, &ctx.output(0))?, &s)?, &shape)?;
                Ok(vec![Some(mul(&c, &swap_last(&inv(&a)?)?)?)])
            },
        },
        &[a],
    )
}
