//! Every differentiable function of `kusari::functions` (and the operators
//! built on them) through `check_backward` and `check_double_backward`, in
//! float32 and float64, with contiguous, transposed and stepped (strided)
//! inputs, and with broadcasting.
//!
//! Tolerances: float64 inputs use the gradient_check defaults (Chainer's:
//! `check_backward` atol 1e-5 / rtol 1e-4, `check_double_backward` atol 1e-4 /
//! rtol 1e-3). Float32 inputs use atol 1e-3 / rtol 1e-2 for both, Chainer's
//! practice for float32 tests. In both cases the numerical differences are
//! computed in float64 (`CheckOptions::dtype`'s default) with eps 1e-3, so
//! only the analytical gradients run in float32.
//!
//! Inputs stay away from non-differentiable points and domain edges: `log`
//! and `pow` bases in [0.5, 2), divisors in [0.5, 2) (or (-2, -0.5]).

use kusari::array::ops::random::Generator;
use kusari::array::{s, Array, DType};
use kusari::functions as F;
use kusari::gradient_check::{check_backward, check_double_backward, CheckOptions};
use kusari::{Result, Variable};

const DTYPES: [DType; 2] = [DType::F32, DType::F64];

/// Options of `check_backward` for inputs of `dtype`.
fn first_order_opts(dtype: DType, seed: u64) -> CheckOptions {
    let o = CheckOptions {
        seed,
        ..CheckOptions::default()
    };
    match dtype {
        DType::F32 => o.tol(1e-3, 1e-2),
        _ => o,
    }
}

/// Options of `check_double_backward` for inputs of `dtype`.
fn second_order_opts(dtype: DType, seed: u64) -> CheckOptions {
    let o = CheckOptions {
        seed,
        ..CheckOptions::double_backward()
    };
    match dtype {
        DType::F32 => o.tol(1e-3, 1e-2),
        _ => o,
    }
}

type Func = dyn Fn(&[Variable]) -> Result<Vec<Variable>>;

fn unary(
    f: impl Fn(&Variable) -> Result<Variable>,
) -> impl Fn(&[Variable]) -> Result<Vec<Variable>> {
    move |v| Ok(vec![f(&v[0])?])
}

fn binary(
    f: impl Fn(&Variable, &Variable) -> Result<Variable>,
) -> impl Fn(&[Variable]) -> Result<Vec<Variable>> {
    move |v| Ok(vec![f(&v[0], &v[1])?])
}

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Runs `check_backward` and `check_double_backward` on `f` at `inputs`, with
/// random output gradients and random second-order gradients.
fn check(name: &str, f: &Func, inputs: &[Array]) {
    let dtype = inputs[0].dtype();
    let seed = seed_of(name);
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name} ({dtype}): forward failed: {e}"));
    for y in &ys {
        assert_eq!(y.dtype(), dtype, "{name}: output dtype");
    }
    let mut rng = Generator::new(seed);
    let gys: Vec<Array> = ys
        .iter()
        .map(|y| rng.standard_normal(&y.shape(), y.dtype()).unwrap())
        .collect();
    let ggxs: Vec<Array> = inputs
        .iter()
        .map(|x| rng.standard_normal(x.shape(), x.dtype()).unwrap())
        .collect();
    check_backward(f, inputs, Some(&gys), &first_order_opts(dtype, seed))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_backward: {e}"));
    check_double_backward(f, inputs, &gys, &ggxs, &second_order_opts(dtype, seed))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_double_backward: {e}"));
}

#[derive(Clone, Copy)]
enum Dist {
    Normal,
    Uniform(f64, f64),
}
use Dist::Normal as N;
/// Positive values away from 0 (bases of log/pow, divisors).
const POS: Dist = Dist::Uniform(0.5, 2.0);
/// Negative values away from 0.
const NEG: Dist = Dist::Uniform(-2.0, -0.5);

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// Row-major contiguous.
    C,
    /// A transposed view (all axes reversed).
    T,
    /// Every other row of a twice as long first axis.
    Step,
}
use Layout::{Step, C, T};

struct Data {
    rng: Generator,
    dtype: DType,
}

impl Data {
    fn new(dtype: DType, seed: u64) -> Data {
        Data {
            rng: Generator::new(seed),
            dtype,
        }
    }

    fn raw(&mut self, dist: Dist, shape: &[usize]) -> Array {
        match dist {
            Dist::Normal => self.rng.standard_normal(shape, self.dtype),
            Dist::Uniform(lo, hi) => self.rng.uniform(lo, hi, shape, self.dtype),
        }
        .unwrap()
    }

    /// An array of `shape` and `dtype` laid out as `layout`.
    fn arr(&mut self, dist: Dist, shape: &[usize], layout: Layout) -> Array {
        let a = match layout {
            C => self.raw(dist, shape),
            T => {
                let rev: Vec<usize> = shape.iter().rev().copied().collect();
                self.raw(dist, &rev).t()
            }
            Step => {
                let mut long = shape.to_vec();
                long[0] *= 2;
                self.raw(dist, &long).slice(&s![..;2]).unwrap()
            }
        };
        assert_eq!(a.shape(), shape);
        assert_eq!(a.dtype(), self.dtype);
        // (A transposed view with fewer than two axes longer than 1, or a
        // stepped one with a first axis of length 1, is still contiguous.)
        let nontrivial = shape.iter().filter(|&&n| n > 1).count();
        if (layout == Step && shape[0] > 1) || (layout == T && nontrivial >= 2) {
            assert!(!a.is_c_contiguous(), "{shape:?} should be non-contiguous");
        }
        a
    }
}

#[test]
fn add() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 1);
        let f = binary(F::add);
        check("add", &f, &[d.arr(N, &[3, 4], C), d.arr(N, &[3, 4], C)]);
        check(
            "add (3,1)+(4,)",
            &f,
            &[d.arr(N, &[3, 1], C), d.arr(N, &[4], C)],
        );
        check(
            "add transposed + stepped",
            &f,
            &[d.arr(N, &[3, 4], T), d.arr(N, &[3, 4], Step)],
        );
        check(
            "add (2,3,4) stepped + (3,4) transposed",
            &f,
            &[d.arr(N, &[2, 3, 4], Step), d.arr(N, &[3, 4], T)],
        );
        check(
            "add (4,) + (2,3,1)",
            &f,
            &[d.arr(N, &[4], C), d.arr(N, &[2, 3, 1], T)],
        );
        check(
            "add () + (3,4)",
            &f,
            &[d.arr(N, &[], C), d.arr(N, &[3, 4], C)],
        );
    }
}

#[test]
fn sub() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 2);
        let f = binary(F::sub);
        check("sub", &f, &[d.arr(N, &[3, 4], C), d.arr(N, &[3, 4], C)]);
        check(
            "sub (3,1)-(4,)",
            &f,
            &[d.arr(N, &[3, 1], C), d.arr(N, &[4], C)],
        );
        check(
            "sub stepped - transposed",
            &f,
            &[d.arr(N, &[3, 4], Step), d.arr(N, &[3, 4], T)],
        );
        check(
            "sub (3,1) - (2,3,4) transposed",
            &f,
            &[d.arr(N, &[3, 1], C), d.arr(N, &[2, 3, 4], T)],
        );
    }
}

#[test]
fn mul() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 3);
        let f = binary(F::mul);
        check("mul", &f, &[d.arr(N, &[3, 4], C), d.arr(N, &[3, 4], C)]);
        check(
            "mul (3,1)*(4,)",
            &f,
            &[d.arr(N, &[3, 1], C), d.arr(N, &[4], C)],
        );
        check(
            "mul transposed * stepped",
            &f,
            &[d.arr(N, &[3, 4], T), d.arr(N, &[3, 4], Step)],
        );
        check(
            "mul (2,3,4) stepped * (4,)",
            &f,
            &[d.arr(N, &[2, 3, 4], Step), d.arr(N, &[4], Step)],
        );
        // The same variable on both sides (x * x): gradients of both inputs meet.
        check("mul x*x", &unary(|x| F::mul(x, x)), &[d.arr(N, &[3, 4], T)]);
    }
}

#[test]
fn div() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 4);
        let f = binary(F::div);
        check("div", &f, &[d.arr(N, &[3, 4], C), d.arr(POS, &[3, 4], C)]);
        check(
            "div negative divisor",
            &f,
            &[d.arr(N, &[3, 4], C), d.arr(NEG, &[3, 4], C)],
        );
        check(
            "div (3,1)/(4,)",
            &f,
            &[d.arr(N, &[3, 1], C), d.arr(POS, &[4], C)],
        );
        check(
            "div (4,)/(3,1)",
            &f,
            &[d.arr(N, &[4], C), d.arr(POS, &[3, 1], C)],
        );
        check(
            "div transposed / stepped",
            &f,
            &[d.arr(N, &[3, 4], T), d.arr(POS, &[3, 4], Step)],
        );
        check(
            "div stepped (2,3,4) / transposed (3,4)",
            &f,
            &[d.arr(N, &[2, 3, 4], Step), d.arr(POS, &[3, 4], T)],
        );
    }
}

#[test]
fn neg() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 5);
        let f = unary(F::neg);
        check("neg", &f, &[d.arr(N, &[3, 4], C)]);
        check("neg transposed", &f, &[d.arr(N, &[2, 3, 4], T)]);
        check("neg stepped", &f, &[d.arr(N, &[5], Step)]);
    }
}

#[test]
fn pow_variable_exponent() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 6);
        let f = binary(F::pow);
        check("pow", &f, &[d.arr(POS, &[3, 4], C), d.arr(N, &[3, 4], C)]);
        check(
            "pow (3,1)**(4,)",
            &f,
            &[d.arr(POS, &[3, 1], C), d.arr(N, &[4], C)],
        );
        check(
            "pow (4,)**(2,3,1)",
            &f,
            &[d.arr(POS, &[4], Step), d.arr(N, &[2, 3, 1], C)],
        );
        check(
            "pow transposed ** stepped",
            &f,
            &[d.arr(POS, &[3, 4], T), d.arr(N, &[3, 4], Step)],
        );
    }
}

#[test]
fn pow_constant() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 7);
        for p in [2.0, 3.0] {
            // Integral exponents: smooth everywhere, any sign of the base.
            let f = unary(move |x| F::pow_constant(x, p));
            check(&format!("pow_constant {p}"), &f, &[d.arr(N, &[3, 4], C)]);
            check(
                &format!("pow_constant {p} transposed"),
                &f,
                &[d.arr(N, &[3, 4], T)],
            );
        }
        for p in [0.5, -1.5, 2.5, 1.0, 0.0] {
            let f = unary(move |x| F::pow_constant(x, p));
            check(&format!("pow_constant {p}"), &f, &[d.arr(POS, &[3, 4], C)]);
            check(
                &format!("pow_constant {p} stepped"),
                &f,
                &[d.arr(POS, &[3, 4], Step)],
            );
        }
        // The method form.
        check(
            "Variable::pow",
            &unary(|x| Ok(x.pow(1.5))),
            &[d.arr(POS, &[2, 3], T)],
        );
    }
}

#[test]
fn scalar_constant_functions() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 8);
        for c in [2.5, -0.75] {
            let cases: [(&str, Box<Func>, Dist); 5] = [
                (
                    "add_constant",
                    Box::new(unary(move |x| F::add_constant(x, c))),
                    N,
                ),
                (
                    "mul_constant",
                    Box::new(unary(move |x| F::mul_constant(x, c))),
                    N,
                ),
                (
                    "div_constant",
                    Box::new(unary(move |x| F::div_constant(x, c))),
                    N,
                ),
                (
                    "rsub_constant",
                    Box::new(unary(move |x| F::rsub_constant(x, c))),
                    N,
                ),
                (
                    "rdiv_constant",
                    Box::new(unary(move |x| F::rdiv_constant(x, c))),
                    POS,
                ),
            ];
            for (name, f, dist) in &cases {
                for layout in [C, T, Step] {
                    check(
                        &format!("{name} {c} {}", layout_name(layout)),
                        f.as_ref(),
                        &[d.arr(*dist, &[3, 4], layout)],
                    );
                }
            }
            check(
                &format!("rdiv_constant {c} negative x"),
                &unary(move |x| F::rdiv_constant(x, c)),
                &[d.arr(NEG, &[3, 4], C)],
            );
        }
    }
}

fn layout_name(l: Layout) -> &'static str {
    match l {
        C => "contiguous",
        T => "transposed",
        Step => "stepped",
    }
}

#[test]
fn exp() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 9);
        let f = unary(F::exp);
        for layout in [C, T, Step] {
            check(
                &format!("exp {}", layout_name(layout)),
                &f,
                &[d.arr(N, &[3, 4], layout)],
            );
        }
        check("exp 3-d transposed", &f, &[d.arr(N, &[2, 3, 4], T)]);
        check("exp method", &unary(|x| x.exp()), &[d.arr(N, &[5], C)]);
    }
}

#[test]
fn log() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 10);
        let f = unary(F::log);
        for layout in [C, T, Step] {
            check(
                &format!("log {}", layout_name(layout)),
                &f,
                &[d.arr(POS, &[3, 4], layout)],
            );
        }
        check(
            "log 3-d stepped",
            &f,
            &[d.arr(Dist::Uniform(0.5, 3.0), &[2, 3, 4], Step)],
        );
        check("log method", &unary(|x| x.log()), &[d.arr(POS, &[5], C)]);
    }
}

#[test]
fn matmul() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 11);
        let f = binary(F::matmul);
        check(
            "matmul (3,4)@(4,5)",
            &f,
            &[d.arr(N, &[3, 4], C), d.arr(N, &[4, 5], C)],
        );
        check(
            "matmul (2,3,4)@(4,5)",
            &f,
            &[d.arr(N, &[2, 3, 4], C), d.arr(N, &[4, 5], C)],
        );
        check(
            "matmul (3,4)@(2,4,5)",
            &f,
            &[d.arr(N, &[3, 4], C), d.arr(N, &[2, 4, 5], C)],
        );
        check(
            "matmul (2,1,3,4)@(5,4,2)",
            &f,
            &[d.arr(N, &[2, 1, 3, 4], C), d.arr(N, &[5, 4, 2], C)],
        );
        check(
            "matmul (2,3,4)@(2,4,5)",
            &f,
            &[d.arr(N, &[2, 3, 4], C), d.arr(N, &[2, 4, 5], C)],
        );
        check(
            "matmul transposed @ transposed",
            &f,
            &[d.arr(N, &[3, 4], T), d.arr(N, &[4, 5], T)],
        );
        check(
            "matmul stepped @ transposed",
            &f,
            &[d.arr(N, &[3, 4], Step), d.arr(N, &[4, 5], T)],
        );
        check(
            "matmul (2,3,4) transposed @ (4,5) stepped",
            &f,
            &[d.arr(N, &[2, 3, 4], T), d.arr(N, &[4, 5], Step)],
        );
        check(
            "matmul (2,1,3,4) stepped @ (5,4,2) transposed",
            &f,
            &[d.arr(N, &[2, 1, 3, 4], Step), d.arr(N, &[5, 4, 2], T)],
        );
        // x @ x: both gradients reach the same variable.
        check(
            "matmul x@x",
            &unary(|x| F::matmul(x, x)),
            &[d.arr(N, &[3, 3], T)],
        );
    }
}

#[test]
fn sum() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 12);
        let cases: Vec<(&str, Option<Vec<isize>>, bool)> = vec![
            ("all", None, false),
            ("all keepdims", None, true),
            ("axis 1", Some(vec![1]), false),
            ("axis -1 keepdims", Some(vec![-1]), true),
            ("axes (0,2)", Some(vec![0, 2]), false),
            ("axes (2,0)", Some(vec![2, 0]), false),
            ("axes (-3,-1) keepdims", Some(vec![-3, -1]), true),
            ("axes ()", Some(vec![]), false),
        ];
        for (name, axes, keepdims) in cases {
            let f = unary(move |x| F::sum(x, axes.as_deref(), keepdims));
            for layout in [C, T, Step] {
                check(
                    &format!("sum {name} {}", layout_name(layout)),
                    &f,
                    &[d.arr(N, &[2, 3, 4], layout)],
                );
            }
        }
        check(
            "sum method",
            &unary(|x| x.sum(Some(&[0]), false)),
            &[d.arr(N, &[3, 4], T)],
        );
    }
}

#[test]
fn sum_to() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 13);
        let targets: [&[usize]; 6] = [&[3, 4], &[4], &[3, 1], &[1, 3, 1], &[2, 1, 4], &[]];
        for target in targets {
            let f = unary(move |x| F::sum_to(x, target));
            for layout in [C, T, Step] {
                check(
                    &format!("sum_to {target:?} {}", layout_name(layout)),
                    &f,
                    &[d.arr(N, &[2, 3, 4], layout)],
                );
            }
        }
        // Same shape: the identity.
        check(
            "sum_to same shape",
            &unary(|x| F::sum_to(x, &[3, 4])),
            &[d.arr(N, &[3, 4], T)],
        );
    }
}

#[test]
fn broadcast_to() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 14);
        let cases: [(&[usize], &[usize]); 5] = [
            (&[3, 1], &[2, 3, 4]),
            (&[4], &[3, 4]),
            (&[1, 4], &[3, 4]),
            (&[2, 1, 4], &[2, 3, 4]),
            (&[3, 4], &[2, 3, 4]),
        ];
        for (from, to) in cases {
            let f = unary(move |x| F::broadcast_to(x, to));
            for layout in [C, T, Step] {
                check(
                    &format!("broadcast_to {from:?} -> {to:?} {}", layout_name(layout)),
                    &f,
                    &[d.arr(N, from, layout)],
                );
            }
        }
        check(
            "broadcast_to () -> (2,3)",
            &unary(|x| F::broadcast_to(x, &[2, 3])),
            &[d.arr(N, &[], C)],
        );
    }
}

#[test]
fn reshape() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 15);
        let cases: [(&[usize], &[usize]); 4] = [
            (&[3, 4], &[2, 6]),
            (&[2, 3, 4], &[24]),
            (&[2, 3, 4], &[4, 1, 6]),
            (&[6], &[2, 3]),
        ];
        for (from, to) in cases {
            let f = unary(move |x| F::reshape(x, to));
            for layout in [C, T, Step] {
                check(
                    &format!("reshape {from:?} -> {to:?} {}", layout_name(layout)),
                    &f,
                    &[d.arr(N, from, layout)],
                );
            }
        }
        check(
            "reshape method",
            &unary(|x| x.reshape(&[12])),
            &[d.arr(N, &[3, 4], T)],
        );
    }
}

#[test]
fn transpose() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 16);
        let cases: [Option<&'static [isize]>; 5] = [
            None,
            Some(&[1, 0, 2]),
            Some(&[2, 0, 1]),
            Some(&[-1, 0, 1]),
            Some(&[0, 1, 2]),
        ];
        for axes in cases {
            let f = unary(move |x| F::transpose(x, axes));
            for layout in [C, T, Step] {
                check(
                    &format!("transpose {axes:?} {}", layout_name(layout)),
                    &f,
                    &[d.arr(N, &[2, 3, 4], layout)],
                );
            }
        }
        check(
            "t method",
            &unary(|x| Ok(x.t())),
            &[d.arr(N, &[3, 4], Step)],
        );
    }
}

/// The operators (`+ - * /`, unary `-`) in all their operand forms, which
/// must map to the right functions (`2.0 - x` is `rsub_constant`, `3.0 / x`
/// is `rdiv_constant`, ...).
#[test]
fn operators() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 17);
        // An array operand is a constant; it follows the inputs' dtype so the
        // float64 numerical evaluation stays consistent.
        let c = Data::new(DType::F64, 99).arr(POS, &[4], C);
        let f = move |v: &[Variable]| -> Result<Vec<Variable>> {
            let (x, y) = (&v[0], &v[1]);
            let c = c.astype(x.dtype())?;
            Ok(vec![
                x + y,
                x.clone() - y.clone(),
                x * y,
                x / y,
                -x,
                -(x.clone()),
                x + 1.5,
                x.clone() - 1.5,
                x * 2.0,
                x / 4.0,
                2.0 + x,
                2.0 - x,
                2.0 * x.clone(),
                3.0 / y,
                x + &c,
                &c - x,
                x * &c,
                y.clone() / &c,
                &c / y,
            ])
        };
        check(
            "operators",
            &f,
            &[d.arr(N, &[3, 4], T), d.arr(POS, &[3, 4], Step)],
        );
        // The seed example, z = x**2 + 2xy + y.
        let seed = |v: &[Variable]| -> Result<Vec<Variable>> {
            let (x, y) = (&v[0], &v[1]);
            Ok(vec![x.pow(2.0) + 2.0 * x * y + y])
        };
        check(
            "seed example",
            &seed,
            &[d.arr(N, &[3], C), d.arr(N, &[3], Step)],
        );
    }
}

/// A composite of several functions (an MLP-like expression with a
/// log-sum-exp), so gradients flow through mixed chains and fan-out.
#[test]
fn composite() {
    for dtype in DTYPES {
        let mut d = Data::new(dtype, 18);
        let f = |v: &[Variable]| -> Result<Vec<Variable>> {
            let (x, w, b) = (&v[0], &v[1], &v[2]);
            let h = F::add(&x.matmul(w)?, b)?; // (2,3,5) + (5,)
            let m = h.exp()?.sum(Some(&[-1]), true)?.log()?; // log-sum-exp
            let out = (&h - &F::broadcast_to(&m, &h.shape())?).sum(None, false)?;
            Ok(vec![out, (&h * &h).sum(Some(&[0]), false)?.t()])
        };
        check(
            "composite",
            &f,
            &[
                d.arr(N, &[2, 3, 4], Step),
                d.arr(N, &[4, 5], T),
                d.arr(N, &[5], C),
            ],
        );
    }
}
