//! The block interpreter: runs a [`Program`] over the loop `0..size`,
//! `BLOCK` lanes at a time, each instruction a tight loop over the block's
//! register vectors, and blocks split across rayon's threads.

use super::ir::{CTy, Inst, MathFn, Program, Setup, Ty, CV, R};
use super::parse::{AtomicOp, BinOp, UnOp};
use crate::{DType, Error, Result};
use half::{bf16, f16};

/// Lanes per block: big enough to amortize dispatch per instruction, small
/// enough that a kernel's registers stay in L1/L2.
pub(crate) const BLOCK: usize = 1024;
/// Elements per rayon task.
const CHUNK: usize = 32 * BLOCK;

/// One block's worth of values of one register.
#[derive(Clone, Debug)]
enum Reg {
    B(Vec<bool>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Default for Reg {
    fn default() -> Self {
        Reg::B(Vec::new())
    }
}

impl Reg {
    fn new(t: CTy, n: usize) -> Reg {
        match t {
            CTy::Bool => Reg::B(vec![false; n]),
            CTy::I32 => Reg::I32(vec![0; n]),
            CTy::U32 => Reg::U32(vec![0; n]),
            CTy::I64 => Reg::I64(vec![0; n]),
            CTy::U64 => Reg::U64(vec![0; n]),
            CTy::F32 => Reg::F32(vec![0.0; n]),
            CTy::F64 => Reg::F64(vec![0.0; n]),
        }
    }
    fn fill(&mut self, v: CV) {
        match (self, v) {
            (Reg::B(d), CV::B(x)) => d.fill(x),
            (Reg::I32(d), CV::I(x)) => d.fill(x as i32),
            (Reg::I64(d), CV::I(x)) => d.fill(x),
            (Reg::U32(d), CV::U(x)) => d.fill(x as u32),
            (Reg::U64(d), CV::U(x)) => d.fill(x),
            (Reg::F32(d), CV::F(x)) => d.fill(x as f32),
            (Reg::F64(d), CV::F(x)) => d.fill(x),
            (r, v) => {
                let t = r.ty();
                r.fill(v.cast(t))
            }
        }
    }
    fn ty(&self) -> CTy {
        match self {
            Reg::B(_) => CTy::Bool,
            Reg::I32(_) => CTy::I32,
            Reg::U32(_) => CTy::U32,
            Reg::I64(_) => CTy::I64,
            Reg::U64(_) => CTy::U64,
            Reg::F32(_) => CTy::F32,
            Reg::F64(_) => CTy::F64,
        }
    }
}

/// Dispatches `$body` with `$v` bound to the typed vector of `$r`.
macro_rules! with_reg {
    ($r:expr, $v:ident => $body:expr) => {
        match $r {
            Reg::B($v) => $body,
            Reg::I32($v) => $body,
            Reg::U32($v) => $body,
            Reg::I64($v) => $body,
            Reg::U64($v) => $body,
            Reg::F32($v) => $body,
            Reg::F64($v) => $body,
        }
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LKind {
    Bool,
    Signed,
    Unsigned,
    Float,
}

/// A lane type: the Rust type of one compute type.
trait Lane: Copy + Default + PartialOrd + Send + Sync + 'static {
    const KIND: LKind;
    fn as_f64(self) -> f64;
    fn as_i64(self) -> i64;
    fn as_u64(self) -> u64;
    fn nonzero(self) -> bool;
    fn from_f64(v: f64) -> Self;
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
    fn from_bool(v: bool) -> Self;
    fn vec(r: &Reg) -> &[Self];
}

macro_rules! lane {
    ($t:ty, $k:ident, $var:ident) => {
        impl Lane for $t {
            const KIND: LKind = LKind::$k;
            #[inline(always)]
            fn as_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn as_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn as_u64(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn nonzero(self) -> bool {
                self != (0 as $t)
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                v as u8 as $t
            }
            fn vec(r: &Reg) -> &[Self] {
                match r {
                    Reg::$var(v) => v,
                    _ => unreachable!("register type checked at lowering"),
                }
            }
        }
    };
}
lane!(i32, Signed, I32);
lane!(u32, Unsigned, U32);
lane!(i64, Signed, I64);
lane!(u64, Unsigned, U64);
lane!(f32, Float, F32);
lane!(f64, Float, F64);

impl Lane for bool {
    const KIND: LKind = LKind::Bool;
    fn as_f64(self) -> f64 {
        self as u8 as f64
    }
    fn as_i64(self) -> i64 {
        self as i64
    }
    fn as_u64(self) -> u64 {
        self as u64
    }
    fn nonzero(self) -> bool {
        self
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn from_u64(v: u64) -> Self {
        v != 0
    }
    fn from_bool(v: bool) -> Self {
        v
    }
    fn vec(r: &Reg) -> &[Self] {
        match r {
            Reg::B(v) => v,
            _ => unreachable!("register type checked at lowering"),
        }
    }
}

/// C's conversion between arithmetic types.
#[inline(always)]
fn conv<A: Lane, B: Lane>(x: A) -> B {
    match (A::KIND, B::KIND) {
        (_, LKind::Bool) => B::from_bool(x.nonzero()),
        (LKind::Float, _) => B::from_f64(x.as_f64()),
        (LKind::Unsigned, _) => B::from_u64(x.as_u64()),
        _ => B::from_i64(x.as_i64()),
    }
}

fn cast_into<A: Lane>(a: &[A], d: &mut Reg, n: usize) {
    with_reg!(d, d => cast_slice(&a[..n], &mut d[..n]))
}
fn cast_slice<A: Lane, B: Lane>(a: &[A], d: &mut [B]) {
    for (o, x) in d.iter_mut().zip(a) {
        *o = conv(*x);
    }
}

/// The arithmetic of one compute type, with C's integer semantics
/// (wrapping; division by zero gives 0 instead of undefined behaviour).
trait Arith: Lane {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn rem(self, o: Self) -> Self;
    fn shl(self, o: Self) -> Self;
    fn shr(self, o: Self) -> Self;
    fn band(self, o: Self) -> Self;
    fn bor(self, o: Self) -> Self;
    fn bxor(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn bnot(self) -> Self;
}

macro_rules! int_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn div(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_div(o) } }
            #[inline(always)] fn rem(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_rem(o) } }
            #[inline(always)] fn shl(self, o: Self) -> Self { self.wrapping_shl(o as u32) }
            #[inline(always)] fn shr(self, o: Self) -> Self { self.wrapping_shr(o as u32) }
            #[inline(always)] fn band(self, o: Self) -> Self { self & o }
            #[inline(always)] fn bor(self, o: Self) -> Self { self | o }
            #[inline(always)] fn bxor(self, o: Self) -> Self { self ^ o }
            #[inline(always)] fn neg(self) -> Self { self.wrapping_neg() }
            #[inline(always)] fn bnot(self) -> Self { !self }
        }
    )*};
}
int_arith!(i32, u32, i64, u64);

macro_rules! float_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)] fn div(self, o: Self) -> Self { self / o }
            #[inline(always)] fn rem(self, o: Self) -> Self { self % o }
            // Rejected for floats at lowering.
            #[inline(always)] fn shl(self, _: Self) -> Self { self }
            #[inline(always)] fn shr(self, _: Self) -> Self { self }
            #[inline(always)] fn band(self, _: Self) -> Self { self }
            #[inline(always)] fn bor(self, _: Self) -> Self { self }
            #[inline(always)] fn bxor(self, _: Self) -> Self { self }
            #[inline(always)] fn neg(self) -> Self { -self }
            #[inline(always)] fn bnot(self) -> Self { self }
        }
    )*};
}
float_arith!(f32, f64);

#[inline(always)]
fn zip2<T: Copy, U>(a: &[T], b: &[T], d: &mut [U], f: impl Fn(T, T) -> U) {
    for ((o, x), y) in d.iter_mut().zip(a).zip(b) {
        *o = f(*x, *y);
    }
}

fn arith<T: Arith>(op: BinOp, a: &[T], b: &[T], d: &mut [T]) {
    match op {
        BinOp::Add => zip2(a, b, d, T::add),
        BinOp::Sub => zip2(a, b, d, T::sub),
        BinOp::Mul => zip2(a, b, d, T::mul),
        BinOp::Div => zip2(a, b, d, T::div),
        BinOp::Rem => zip2(a, b, d, T::rem),
        BinOp::Shl => zip2(a, b, d, T::shl),
        BinOp::Shr => zip2(a, b, d, T::shr),
        BinOp::BitAnd => zip2(a, b, d, T::band),
        BinOp::BitOr => zip2(a, b, d, T::bor),
        BinOp::BitXor => zip2(a, b, d, T::bxor),
        _ => unreachable!("comparisons produce bool registers"),
    }
}

fn compare<T: Lane>(op: BinOp, a: &[T], b: &[T], d: &mut [bool]) {
    match op {
        BinOp::Lt => zip2(a, b, d, |x, y| x < y),
        BinOp::Le => zip2(a, b, d, |x, y| x <= y),
        BinOp::Gt => zip2(a, b, d, |x, y| x > y),
        BinOp::Ge => zip2(a, b, d, |x, y| x >= y),
        BinOp::Eq => zip2(a, b, d, |x, y| x == y),
        BinOp::Ne => zip2(a, b, d, |x, y| x != y),
        _ => unreachable!("arithmetic keeps the operand type"),
    }
}

trait FloatMath: Arith {
    fn math1(f: MathFn, x: Self) -> Self;
    fn math2(f: MathFn, x: Self, y: Self) -> Self;
    fn pred(f: MathFn, x: Self) -> bool;
}

macro_rules! float_math {
    ($t:ty, $erf:path, $erfc:path, $lgamma:path) => {
        impl FloatMath for $t {
            #[inline(always)]
            fn math1(f: MathFn, x: Self) -> Self {
                match f {
                    MathFn::Exp => x.exp(),
                    MathFn::Exp2 => x.exp2(),
                    MathFn::Log => x.ln(),
                    MathFn::Log2 => x.log2(),
                    MathFn::Log10 => x.log10(),
                    MathFn::Log1p => x.ln_1p(),
                    MathFn::Expm1 => x.exp_m1(),
                    MathFn::Sqrt => x.sqrt(),
                    MathFn::Rsqrt => 1.0 / x.sqrt(),
                    MathFn::Cbrt => x.cbrt(),
                    MathFn::Tanh => x.tanh(),
                    MathFn::Sinh => x.sinh(),
                    MathFn::Cosh => x.cosh(),
                    MathFn::Sin => x.sin(),
                    MathFn::Cos => x.cos(),
                    MathFn::Tan => x.tan(),
                    MathFn::Asin => x.asin(),
                    MathFn::Acos => x.acos(),
                    MathFn::Atan => x.atan(),
                    MathFn::Floor => x.floor(),
                    MathFn::Ceil => x.ceil(),
                    MathFn::Round => x.round(),
                    MathFn::Rint => x.round_ties_even(),
                    MathFn::Trunc => x.trunc(),
                    MathFn::Erf => $erf(x),
                    MathFn::Erfc => $erfc(x),
                    MathFn::Lgamma => $lgamma(x),
                    MathFn::Abs => x.abs(),
                    _ => unreachable!("binary or predicate function"),
                }
            }
            #[inline(always)]
            fn math2(f: MathFn, x: Self, y: Self) -> Self {
                match f {
                    MathFn::Atan2 => x.atan2(y),
                    MathFn::Pow => x.powf(y),
                    // fmax/fmin: a NaN operand loses, as in C.
                    MathFn::Max => x.max(y),
                    MathFn::Min => x.min(y),
                    MathFn::Fmod => x % y,
                    MathFn::Hypot => x.hypot(y),
                    _ => unreachable!("unary function"),
                }
            }
            #[inline(always)]
            fn pred(f: MathFn, x: Self) -> bool {
                match f {
                    MathFn::IsNan => x.is_nan(),
                    MathFn::IsInf => x.is_infinite(),
                    MathFn::IsFinite => x.is_finite(),
                    _ => unreachable!("not a predicate"),
                }
            }
        }
    };
}
float_math!(f32, libm::erff, libm::erfcf, libm::lgammaf);
float_math!(f64, libm::erf, libm::erfc, libm::lgamma);

fn float_math<T: FloatMath>(f: MathFn, a: &[T], b: &[T], d: &mut Reg, n: usize) {
    match d {
        Reg::B(d) => {
            for (o, x) in d[..n].iter_mut().zip(a) {
                *o = T::pred(f, *x);
            }
        }
        _ => {
            let d = vec_mut::<T>(d);
            if matches!(
                f,
                MathFn::Atan2
                    | MathFn::Pow
                    | MathFn::Max
                    | MathFn::Min
                    | MathFn::Fmod
                    | MathFn::Hypot
            ) {
                zip2(&a[..n], &b[..n], &mut d[..n], |x, y| T::math2(f, x, y));
            } else {
                // One match per block, then a plain loop the compiler can vectorize.
                macro_rules! un {
                    ($($m:ident),*) => {
                        match f {
                            $(MathFn::$m => for (o, x) in d[..n].iter_mut().zip(a) { *o = T::math1(MathFn::$m, *x); },)*
                            _ => for (o, x) in d[..n].iter_mut().zip(a) { *o = T::math1(f, *x); },
                        }
                    };
                }
                un!(Exp, Log, Sqrt, Tanh, Abs, Floor, Ceil);
            }
        }
    }
}

fn int_math<T: Arith + Ord>(f: MathFn, a: &[T], b: &[T], d: &mut [T], abs: fn(T) -> T) {
    match f {
        MathFn::Abs => {
            for (o, x) in d.iter_mut().zip(a) {
                *o = abs(*x);
            }
        }
        MathFn::Max => zip2(a, b, d, |x, y| x.max(y)),
        MathFn::Min => zip2(a, b, d, |x, y| x.min(y)),
        _ => unreachable!("float-only functions get float operands at lowering"),
    }
}

fn vec_mut<T: Lane>(r: &mut Reg) -> &mut [T] {
    // SAFETY-free downcast by matching the register's variant against T's kind.
    macro_rules! pick {
        ($($var:ident: $t:ty),*) => {
            match r {
                $(Reg::$var(v) if std::any::TypeId::of::<T>() == std::any::TypeId::of::<$t>() => {
                    let v: &mut Vec<$t> = v;
                    // The TypeId check makes this the identity cast.
                    unsafe { &mut *(v.as_mut_slice() as *mut [$t] as *mut [T]) }
                })*
                _ => unreachable!("register type checked at lowering"),
            }
        };
    }
    pick!(B: bool, I32: i32, U32: u32, I64: i64, U64: u64, F32: f32, F64: f64)
}

/// A parameter's host buffer (C-contiguous, the parameter's dtype).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Buf {
    pub ptr: *mut u8,
    pub dtype: DType,
    pub len: usize,
}
// SAFETY: buffers are only read, or written at disjoint element ranges by
// different threads (raw stores run on one thread).
unsafe impl Send for Buf {}
unsafe impl Sync for Buf {}

/// What one call gives the program.
pub(crate) struct Env<'a> {
    pub kernel: &'a str,
    pub bufs: &'a [Option<Buf>],
    pub scalars: &'a [Option<CV>],
    pub size: usize,
}

/// Runs the program over `0..env.size`.
pub(crate) fn run(prog: &Program, env: &Env) -> Result<()> {
    let n = env.size;
    if n == 0 {
        return Ok(());
    }
    if prog.raw_stores || n <= CHUNK {
        return run_range(prog, env, 0, n);
    }
    use rayon::prelude::*;
    let chunks = n.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .try_for_each(|c| run_range(prog, env, c * CHUNK, ((c + 1) * CHUNK).min(n)))
}

fn run_range(prog: &Program, env: &Env, start: usize, end: usize) -> Result<()> {
    let lanes = BLOCK.min(end - start);
    let mut st = State {
        regs: prog.regs.iter().map(|t| Reg::new(*t, lanes)).collect(),
        env,
        frames: Vec::new(),
        n: lanes,
    };
    for (r, s) in &prog.setup {
        let v = match *s {
            Setup::Const(v) => v,
            Setup::Scalar(k) => env.scalars[k].expect("scalar argument given"),
            Setup::IndSize => CV::I(env.size as i64),
            Setup::RawSize(k) => CV::I(env.bufs[k].map_or(0, |b| b.len) as i64),
        };
        st.regs[*r].fill(v);
    }
    let mut s = start;
    while s < end {
        let n = BLOCK.min(end - s);
        st.n = n;
        if let Some(r) = prog.index_reg {
            if let Reg::I64(v) = &mut st.regs[r] {
                for (k, o) in v[..n].iter_mut().enumerate() {
                    *o = (s + k) as i64;
                }
            }
        }
        for (k, r) in &prog.loads {
            let b = env.bufs[*k].expect("array argument given");
            load(&b, s, n, &mut st.regs[*r]);
        }
        let mut mask = Mask::full(n);
        st.exec(&prog.code, &mut mask)?;
        for (k, r) in &prog.stores {
            let b = env.bufs[*k].expect("output given");
            store(&b, s, n, &st.regs[*r]);
        }
        s += n;
    }
    Ok(())
}

fn load(b: &Buf, start: usize, n: usize, d: &mut Reg) {
    // SAFETY: `b` holds `b.len >= start + n` elements of `b.dtype`.
    unsafe {
        macro_rules! go {
            ($t:ty, |$x:ident| $e:expr) => {{
                let src = std::slice::from_raw_parts((b.ptr as *const $t).add(start), n);
                with_reg!(d, d => {
                    for (o, $x) in d[..n].iter_mut().zip(src) {
                        let $x = *$x;
                        *o = conv($e);
                    }
                })
            }};
        }
        if let (DType::F32, Reg::F32(v)) = (b.dtype, &mut *d) {
            v[..n].copy_from_slice(std::slice::from_raw_parts(
                (b.ptr as *const f32).add(start),
                n,
            ));
            return;
        }
        if let (DType::F64, Reg::F64(v)) = (b.dtype, &mut *d) {
            v[..n].copy_from_slice(std::slice::from_raw_parts(
                (b.ptr as *const f64).add(start),
                n,
            ));
            return;
        }
        match b.dtype {
            DType::Bool => go!(u8, |x| x != 0),
            DType::U8 => go!(u8, |x| x as i32),
            DType::I8 => go!(i8, |x| x as i32),
            DType::I16 => go!(i16, |x| x as i32),
            DType::I32 => go!(i32, |x| x),
            DType::I64 => go!(i64, |x| x),
            DType::F16 => go!(f16, |x| x.to_f32()),
            DType::BF16 => go!(bf16, |x| x.to_f32()),
            DType::F32 => go!(f32, |x| x),
            DType::F64 => go!(f64, |x| x),
        }
    }
}

/// Converts one compute value to the storage type of `dtype`, as C's
/// assignment does; `$write!(storage type, binding, value)` does the write.
macro_rules! store_conv {
    ($dtype:expr, $x:ident, $write:ident) => {
        match $dtype {
            DType::Bool => $write!(u8, $x, conv::<_, bool>($x) as u8),
            DType::U8 => $write!(u8, $x, conv::<_, i64>($x) as u8),
            DType::I8 => $write!(i8, $x, conv::<_, i64>($x) as i8),
            DType::I16 => $write!(i16, $x, conv::<_, i64>($x) as i16),
            DType::I32 => $write!(i32, $x, conv::<_, i32>($x)),
            DType::I64 => $write!(i64, $x, conv::<_, i64>($x)),
            DType::F16 => $write!(f16, $x, f16::from_f32(conv::<_, f32>($x))),
            DType::BF16 => $write!(bf16, $x, bf16::from_f32(conv::<_, f32>($x))),
            DType::F32 => $write!(f32, $x, conv::<_, f32>($x)),
            DType::F64 => $write!(f64, $x, conv::<_, f64>($x)),
        }
    };
}

fn store(b: &Buf, start: usize, n: usize, r: &Reg) {
    with_reg!(r, v => store_slice(b, start, &v[..n]))
}

fn store_slice<T: Lane>(b: &Buf, start: usize, v: &[T]) {
    let n = v.len();
    // SAFETY: the range lies in the buffer and belongs to this thread only.
    unsafe {
        macro_rules! put_all {
            ($t:ty, $x:ident, $e:expr) => {{
                let dst = std::slice::from_raw_parts_mut((b.ptr as *mut $t).add(start), n);
                for (o, $x) in dst.iter_mut().zip(v) {
                    let $x = *$x;
                    *o = $e;
                }
            }};
        }
        store_conv!(b.dtype, x, put_all);
    }
}

struct Mask {
    m: Vec<bool>,
    full: bool,
}

impl Mask {
    fn full(n: usize) -> Mask {
        Mask {
            m: vec![true; n],
            full: true,
        }
    }
    fn of(m: Vec<bool>) -> Mask {
        let full = m.iter().all(|&b| b);
        Mask { m, full }
    }
    fn any(&self) -> bool {
        self.full || self.m.iter().any(|&b| b)
    }
    fn and(&self, c: &[bool], want: bool) -> Mask {
        Mask::of(
            self.m
                .iter()
                .zip(c)
                .map(|(&m, &c)| m && (c == want))
                .collect(),
        )
    }
    fn clear(&mut self) {
        self.m.fill(false);
        self.full = false;
    }
}

enum Frame {
    Loop { cont: Vec<bool> },
    Func { ret: Vec<bool> },
}

struct State<'a> {
    regs: Vec<Reg>,
    env: &'a Env<'a>,
    frames: Vec<Frame>,
    n: usize,
}

impl State<'_> {
    fn exec(&mut self, code: &[Inst], mask: &mut Mask) -> Result<()> {
        for inst in code {
            if !mask.any() {
                return Ok(());
            }
            self.inst(inst, mask)?;
        }
        Ok(())
    }

    fn bool_reg(&self, r: R) -> Vec<bool> {
        match &self.regs[r] {
            Reg::B(v) => v[..self.n].to_vec(),
            _ => unreachable!("conditions are bool registers"),
        }
    }

    fn inst(&mut self, inst: &Inst, mask: &mut Mask) -> Result<()> {
        let n = self.n;
        match inst {
            Inst::Bin { op, dst, a, b } => {
                let mut d = std::mem::take(&mut self.regs[*dst]);
                let (ra, rb) = (&self.regs[*a], &self.regs[*b]);
                match (&mut d, ra, rb) {
                    (Reg::B(d), Reg::B(a), Reg::B(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::B(d), Reg::I32(a), Reg::I32(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::B(d), Reg::U32(a), Reg::U32(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::B(d), Reg::I64(a), Reg::I64(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::B(d), Reg::U64(a), Reg::U64(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::B(d), Reg::F32(a), Reg::F32(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::B(d), Reg::F64(a), Reg::F64(b)) => {
                        compare(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::I32(d), Reg::I32(a), Reg::I32(b)) => {
                        arith(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::U32(d), Reg::U32(a), Reg::U32(b)) => {
                        arith(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::I64(d), Reg::I64(a), Reg::I64(b)) => {
                        arith(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::U64(d), Reg::U64(a), Reg::U64(b)) => {
                        arith(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::F32(d), Reg::F32(a), Reg::F32(b)) => {
                        arith(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    (Reg::F64(d), Reg::F64(a), Reg::F64(b)) => {
                        arith(*op, &a[..n], &b[..n], &mut d[..n])
                    }
                    _ => unreachable!("operand types unified at lowering"),
                }
                self.regs[*dst] = d;
            }
            Inst::Un { op, dst, a } => {
                let mut d = std::mem::take(&mut self.regs[*dst]);
                macro_rules! un {
                    ($($v:ident),*) => {
                        match (&mut d, &self.regs[*a]) {
                            (Reg::B(d), Reg::B(a)) => {
                                for (o, x) in d[..n].iter_mut().zip(a) { *o = !*x; }
                            }
                            $((Reg::$v(d), Reg::$v(a)) => {
                                for (o, x) in d[..n].iter_mut().zip(a) {
                                    *o = if *op == UnOp::Neg { Arith::neg(*x) } else { Arith::bnot(*x) };
                                }
                            })*
                            _ => unreachable!("operand types unified at lowering"),
                        }
                    };
                }
                un!(I32, U32, I64, U64, F32, F64);
                self.regs[*dst] = d;
            }
            Inst::Cast { dst, a } => {
                let mut d = std::mem::take(&mut self.regs[*dst]);
                with_reg!(&self.regs[*a], a => cast_into(a, &mut d, n));
                self.regs[*dst] = d;
            }
            Inst::Narrow { dst, a, ty } => {
                let mut d = std::mem::take(&mut self.regs[*dst]);
                match (&mut d, &self.regs[*a]) {
                    (Reg::I32(d), Reg::I32(a)) => {
                        let f: fn(i32) -> i32 = match ty {
                            Ty::I8 => |x| x as i8 as i32,
                            Ty::U8 => |x| x as u8 as i32,
                            _ => |x| x as i16 as i32,
                        };
                        for (o, x) in d[..n].iter_mut().zip(a) {
                            *o = f(*x);
                        }
                    }
                    (Reg::F32(d), Reg::F32(a)) => {
                        let f: fn(f32) -> f32 = match ty {
                            Ty::F16 => |x| f16::from_f32(x).to_f32(),
                            _ => |x| bf16::from_f32(x).to_f32(),
                        };
                        for (o, x) in d[..n].iter_mut().zip(a) {
                            *o = f(*x);
                        }
                    }
                    _ => unreachable!("narrow types compute as int or float"),
                }
                self.regs[*dst] = d;
            }
            Inst::Math { f, dst, a, b } => {
                let mut d = std::mem::take(&mut self.regs[*dst]);
                match (&self.regs[*a], &self.regs[*b]) {
                    (Reg::F32(a), Reg::F32(b)) => float_math(*f, &a[..n], &b[..n], &mut d, n),
                    (Reg::F64(a), Reg::F64(b)) => float_math(*f, &a[..n], &b[..n], &mut d, n),
                    (Reg::I32(a), Reg::I32(b)) => int_math(
                        *f,
                        &a[..n],
                        &b[..n],
                        &mut vec_mut::<i32>(&mut d)[..n],
                        i32::wrapping_abs,
                    ),
                    (Reg::I64(a), Reg::I64(b)) => int_math(
                        *f,
                        &a[..n],
                        &b[..n],
                        &mut vec_mut::<i64>(&mut d)[..n],
                        i64::wrapping_abs,
                    ),
                    (Reg::U32(a), Reg::U32(b)) => int_math(
                        *f,
                        &a[..n],
                        &b[..n],
                        &mut vec_mut::<u32>(&mut d)[..n],
                        |x| x,
                    ),
                    (Reg::U64(a), Reg::U64(b)) => int_math(
                        *f,
                        &a[..n],
                        &b[..n],
                        &mut vec_mut::<u64>(&mut d)[..n],
                        |x| x,
                    ),
                    _ => unreachable!("operand types unified at lowering"),
                }
                self.regs[*dst] = d;
            }
            Inst::Select {
                dst,
                cond,
                then,
                a,
                els,
                b,
            } => {
                let c = self.bool_reg(*cond);
                let mut tm = mask.and(&c, true);
                if tm.any() {
                    self.exec(then, &mut tm)?;
                }
                let mut em = mask.and(&c, false);
                if em.any() {
                    self.exec(els, &mut em)?;
                }
                let mut d = std::mem::take(&mut self.regs[*dst]);
                let (ra, rb) = (&self.regs[*a], &self.regs[*b]);
                with_reg!(&mut d, d => {
                    let (a, b) = (vec_of(ra, d), vec_of(rb, d));
                    for k in 0..n {
                        d[k] = if c[k] { a[k] } else { b[k] };
                    }
                });
                self.regs[*dst] = d;
            }
            Inst::Copy { dst, src } => {
                if dst == src {
                    return Ok(());
                }
                let mut d = std::mem::take(&mut self.regs[*dst]);
                let s = &self.regs[*src];
                with_reg!(&mut d, d => {
                    let s = vec_of(s, d);
                    if mask.full {
                        d[..n].copy_from_slice(&s[..n]);
                    } else {
                        for k in 0..n {
                            if mask.m[k] {
                                d[k] = s[k];
                            }
                        }
                    }
                });
                self.regs[*dst] = d;
            }
            Inst::LoadRaw { dst, param, idx } => {
                let (b, idx) = self.raw_access(*param, *idx, mask)?;
                let idx = idx.to_vec();
                let mut d = std::mem::take(&mut self.regs[*dst]);
                with_reg!(&mut d, d => load_gather(&b, &idx[..n], &mask.m, &mut d[..n]));
                self.regs[*dst] = d;
            }
            Inst::StoreRaw { param, idx, val } => {
                let (b, idx) = self.raw_access(*param, *idx, mask)?;
                with_reg!(&self.regs[*val], v => {
                    for k in 0..n {
                        if mask.m[k] {
                            let x = v[k];
                            let at = idx[k] as usize;
                            macro_rules! put {
                                ($t:ty, $x:ident, $e:expr) => {
                                    // SAFETY: bounds checked above; raw stores run on one thread.
                                    unsafe { *(b.ptr as *mut $t).add(at) = $e }
                                };
                            }
                            store_conv!(b.dtype, x, put);
                        }
                    }
                });
            }
            Inst::AtomicRaw {
                op,
                param,
                idx,
                val,
            } => {
                let (b, idx) = self.raw_access(*param, *idx, mask)?;
                macro_rules! add_lanes {
                    ($v:ident) => {{
                        let mut cur = [Default::default()];
                        for k in 0..n {
                            if mask.m[k] {
                                load_gather(&b, &idx[k..k + 1], &[true], &mut cur);
                                let v = $v[k];
                                let mut new = [v];
                                match op {
                                    AtomicOp::Add => arith(BinOp::Add, &cur, &[v], &mut new),
                                    AtomicOp::Sub => arith(BinOp::Sub, &cur, &[v], &mut new),
                                    AtomicOp::Max if cur[0] > v => new[0] = cur[0],
                                    AtomicOp::Min if cur[0] < v => new[0] = cur[0],
                                    AtomicOp::Max | AtomicOp::Min | AtomicOp::Exch => {}
                                }
                                let (x, at) = (new[0], idx[k] as usize);
                                macro_rules! put {
                                    ($t:ty, $x:ident, $e:expr) => {
                                        // SAFETY: bounds checked above; raw stores run on one thread.
                                        unsafe { *(b.ptr as *mut $t).add(at) = $e }
                                    };
                                }
                                store_conv!(b.dtype, x, put);
                            }
                        }
                    }};
                }
                match &self.regs[*val] {
                    Reg::I32(v) => add_lanes!(v),
                    Reg::U32(v) => add_lanes!(v),
                    Reg::I64(v) => add_lanes!(v),
                    Reg::U64(v) => add_lanes!(v),
                    Reg::F32(v) => add_lanes!(v),
                    Reg::F64(v) => add_lanes!(v),
                    Reg::B(_) => unreachable!("lowering rejects bool targets"),
                }
            }
            Inst::If { cond, then, els } => {
                let c = self.bool_reg(*cond);
                let mut tm = mask.and(&c, true);
                if tm.any() {
                    self.exec(then, &mut tm)?;
                }
                let mut em = mask.and(&c, false);
                if em.any() {
                    self.exec(els, &mut em)?;
                }
                // Lanes that left through break/continue/return stay out.
                *mask = Mask::of(tm.m.iter().zip(&em.m).map(|(a, b)| *a || *b).collect());
            }
            Inst::Loop {
                cond_code,
                cond,
                body,
                step,
            } => {
                let mut lm = Mask::of(mask.m.clone());
                loop {
                    let mut cm = Mask::of(lm.m.clone());
                    self.exec(cond_code, &mut cm)?;
                    if let Some(c) = cond {
                        let c = self.bool_reg(*c);
                        lm = lm.and(&c, true);
                    }
                    if !lm.any() {
                        break;
                    }
                    self.frames.push(Frame::Loop {
                        cont: vec![false; n],
                    });
                    let mut bm = Mask::of(lm.m.clone());
                    let r = self.exec(body, &mut bm);
                    let Some(Frame::Loop { cont }) = self.frames.pop() else {
                        unreachable!("pushed above")
                    };
                    r?;
                    lm = Mask::of(bm.m.iter().zip(&cont).map(|(a, b)| *a || *b).collect());
                    let mut sm = Mask::of(lm.m.clone());
                    self.exec(step, &mut sm)?;
                }
                if let Some(ret) = self.frames.iter().rev().find_map(|f| match f {
                    Frame::Func { ret } => Some(ret),
                    _ => None,
                }) {
                    *mask = Mask::of(mask.m.iter().zip(ret).map(|(m, r)| *m && !*r).collect());
                }
            }
            Inst::Break => mask.clear(),
            Inst::Continue => {
                if let Some(Frame::Loop { cont }) = self.frames.last_mut() {
                    for (c, m) in cont.iter_mut().zip(&mask.m) {
                        *c |= *m;
                    }
                }
                mask.clear();
            }
            Inst::Return => {
                if let Some(ret) = self.frames.iter_mut().rev().find_map(|f| match f {
                    Frame::Func { ret } => Some(ret),
                    _ => None,
                }) {
                    for (c, m) in ret.iter_mut().zip(&mask.m) {
                        *c |= *m;
                    }
                }
                mask.clear();
            }
            Inst::Func { body } => {
                self.frames.push(Frame::Func {
                    ret: vec![false; n],
                });
                let mut fm = Mask::of(mask.m.clone());
                let r = self.exec(body, &mut fm);
                self.frames.pop();
                r?;
            }
        }
        Ok(())
    }

    /// Raw array `param` and the index register `idx`, whose active lanes
    /// (of the first `n`) are checked to lie within the array.
    fn raw_access(&self, param: usize, idx: R, mask: &Mask) -> Result<(Buf, &[i64])> {
        let b = self.env.bufs[param].expect("raw array given");
        let idx = match &self.regs[idx] {
            Reg::I64(v) => &v[..self.n],
            _ => unreachable!("indices are int64"),
        };
        if let Some(bad) = out_of_bounds(idx, &mask.m, b.len) {
            return Err(self.oob(param, bad, b.len));
        }
        Ok((b, idx))
    }

    fn oob(&self, param: usize, idx: i64, len: usize) -> Error {
        Error::Index {
            op: "ElementwiseKernel (raw array access)",
            index: idx,
            axis: param,
            size: len,
        }
        .with_kernel(self.env.kernel)
    }
}

trait WithKernel {
    fn with_kernel(self, kernel: &str) -> Error;
}
impl WithKernel for Error {
    fn with_kernel(self, kernel: &str) -> Error {
        match self {
            Error::Index { index, size, .. } => Error::value(
                "ElementwiseKernel",
                format!("kernel `{kernel}`: raw array index {index} is out of bounds for a raw array of size {size}"),
            ),
            e => e,
        }
    }
}

/// The first index of an active lane outside `0..len`.
fn out_of_bounds(idx: &[i64], mask: &[bool], len: usize) -> Option<i64> {
    idx.iter()
        .zip(mask)
        .find(|(i, m)| **m && (**i < 0 || **i as usize >= len))
        .map(|(i, _)| *i)
}

/// The typed vector of `r`, which lowering made the same type as `_like`.
fn vec_of<'r, T: Lane>(r: &'r Reg, _like: &[T]) -> &'r [T] {
    T::vec(r)
}

fn load_gather<T: Lane>(b: &Buf, idx: &[i64], m: &[bool], d: &mut [T]) {
    // SAFETY: active lanes were bounds-checked; inactive lanes are not read.
    unsafe {
        macro_rules! g {
            ($t:ty, |$x:ident| $e:expr) => {{
                let p = b.ptr as *const $t;
                for k in 0..d.len() {
                    d[k] = if m[k] {
                        let $x = *p.add(idx[k] as usize);
                        conv($e)
                    } else {
                        T::default()
                    };
                }
            }};
        }
        match b.dtype {
            DType::Bool => g!(u8, |x| x != 0),
            DType::U8 => g!(u8, |x| x as i32),
            DType::I8 => g!(i8, |x| x as i32),
            DType::I16 => g!(i16, |x| x as i32),
            DType::I32 => g!(i32, |x| x),
            DType::I64 => g!(i64, |x| x),
            DType::F16 => g!(f16, |x| x.to_f32()),
            DType::BF16 => g!(bf16, |x| x.to_f32()),
            DType::F32 => g!(f32, |x| x),
            DType::F64 => g!(f64, |x| x),
        }
    }
}
