//! The typed IR and the lowering from the parsed C subset to it.
//!
//! Every value lives in a register: a vector over one block of lanes (one
//! lane per element of the loop). Straight-line code is a flat list of
//! instructions, each applied to the whole block; control flow is structured
//! (`If`, `Loop`, `Select`, `Func`) and executed under a lane mask, so C's
//! semantics hold per element while the inner loops stay vectorizable.

use super::parse::{
    err, AtomicOp, BinOp, Expr, ExprKind, FuncDef, IntSuffix, LValue, PResult, Pos, Stmt, StmtKind,
    TypeName, UnOp,
};
use crate::DType;
use std::collections::HashMap;

/// The types arithmetic happens in (C's integer promotion and CUDA's
/// half-to-float promotion leave only these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CTy {
    Bool,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl CTy {
    pub(crate) fn is_float(self) -> bool {
        matches!(self, CTy::F32 | CTy::F64)
    }
    fn is_int(self) -> bool {
        !self.is_float() && self != CTy::Bool
    }
    fn rank(self) -> u8 {
        match self {
            CTy::Bool => 0,
            CTy::I32 | CTy::U32 => 1,
            CTy::I64 | CTy::U64 => 2,
            CTy::F32 => 3,
            CTy::F64 => 4,
        }
    }
    fn unsigned(self) -> bool {
        matches!(self, CTy::U32 | CTy::U64)
    }
}

/// A declared (storage) type: what variables, parameters and arrays hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Ty {
    Bool,
    I8,
    U8,
    I16,
    I32,
    U32,
    I64,
    U64,
    F16,
    BF16,
    F32,
    F64,
}

impl Ty {
    pub(crate) fn compute(self) -> CTy {
        match self {
            Ty::Bool => CTy::Bool,
            Ty::I8 | Ty::U8 | Ty::I16 | Ty::I32 => CTy::I32,
            Ty::U32 => CTy::U32,
            Ty::I64 => CTy::I64,
            Ty::U64 => CTy::U64,
            Ty::F16 | Ty::BF16 | Ty::F32 => CTy::F32,
            Ty::F64 => CTy::F64,
        }
    }
    pub(crate) fn from_dtype(d: DType) -> Ty {
        match d {
            DType::Bool => Ty::Bool,
            DType::U8 => Ty::U8,
            DType::I8 => Ty::I8,
            DType::I16 => Ty::I16,
            DType::I32 => Ty::I32,
            DType::I64 => Ty::I64,
            DType::F16 => Ty::F16,
            DType::BF16 => Ty::BF16,
            DType::F32 => Ty::F32,
            DType::F64 => Ty::F64,
        }
    }
    /// The NumPy name of the type (the C name where NumPy has none).
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::I8 => "int8",
            Ty::U8 => "uint8",
            Ty::I16 => "int16",
            Ty::I32 => "int32",
            Ty::U32 => "uint32",
            Ty::I64 => "int64",
            Ty::U64 => "uint64",
            Ty::F16 => "float16",
            Ty::BF16 => "bfloat16",
            Ty::F32 => "float32",
            Ty::F64 => "float64",
        }
    }
    fn of_compute(c: CTy) -> Ty {
        match c {
            CTy::Bool => Ty::Bool,
            CTy::I32 => Ty::I32,
            CTy::U32 => Ty::U32,
            CTy::I64 => Ty::I64,
            CTy::U64 => Ty::U64,
            CTy::F32 => Ty::F32,
            CTy::F64 => Ty::F64,
        }
    }
    fn narrow(self) -> bool {
        matches!(self, Ty::I8 | Ty::U8 | Ty::I16 | Ty::F16 | Ty::BF16)
    }
}

/// Maps a C or NumPy type spelling to a type, `None` when unknown.
pub(crate) fn c_type(name: &str) -> Option<Ty> {
    Some(match name {
        "bool" => Ty::Bool,
        "char" | "signed char" | "int8_t" | "int8" => Ty::I8,
        "unsigned char" | "uint8_t" | "uint8" => Ty::U8,
        "short" | "short int" | "signed short" | "int16_t" | "int16" => Ty::I16,
        "int" | "signed" | "signed int" | "int32_t" | "int32" => Ty::I32,
        "unsigned" | "unsigned int" | "uint32_t" => Ty::U32,
        "long" | "long int" | "long long" | "long long int" | "signed long"
        | "signed long long" | "int64_t" | "ptrdiff_t" | "int64" => Ty::I64,
        "unsigned long"
        | "unsigned long long"
        | "unsigned long int"
        | "unsigned long long int"
        | "size_t"
        | "uint64_t" => Ty::U64,
        "half" | "__half" | "float16" => Ty::F16,
        "bfloat16" | "__nv_bfloat16" => Ty::BF16,
        "float" | "float32" => Ty::F32,
        "double" | "float64" => Ty::F64,
        _ => return None,
    })
}

/// A compile-time constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CV {
    B(bool),
    I(i64),
    U(u64),
    F(f64),
}

impl CV {
    /// C conversion of a constant of type `from` to `to`.
    pub(crate) fn cast(self, to: CTy) -> CV {
        match to {
            CTy::Bool => CV::B(match self {
                CV::B(b) => b,
                CV::I(i) => i != 0,
                CV::U(u) => u != 0,
                CV::F(f) => f != 0.0,
            }),
            CTy::F32 => CV::F(self.as_f64() as f32 as f64),
            CTy::F64 => CV::F(self.as_f64()),
            CTy::I32 => CV::I(self.as_i64() as i32 as i64),
            CTy::I64 => CV::I(self.as_i64()),
            CTy::U32 => CV::U(self.as_u64() as u32 as u64),
            CTy::U64 => CV::U(self.as_u64()),
        }
    }
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            CV::B(b) => b as u8 as f64,
            CV::I(i) => i as f64,
            CV::U(u) => u as f64,
            CV::F(f) => f,
        }
    }
    pub(crate) fn as_i64(self) -> i64 {
        match self {
            CV::B(b) => b as i64,
            CV::I(i) => i,
            CV::U(u) => u as i64,
            CV::F(f) => f as i64,
        }
    }
    fn as_u64(self) -> u64 {
        match self {
            CV::B(b) => b as u64,
            CV::I(i) => i as u64,
            CV::U(u) => u,
            CV::F(f) => {
                if f < 0.0 {
                    (f as i64) as u64
                } else {
                    f as u64
                }
            }
        }
    }
}

/// The math functions of CUDA's device library the interpreter knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MathFn {
    Exp,
    Exp2,
    Log,
    Log2,
    Log10,
    Log1p,
    Expm1,
    Sqrt,
    Rsqrt,
    Cbrt,
    Tanh,
    Sinh,
    Cosh,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Floor,
    Ceil,
    Round,
    /// Round half to even (`rint`, `nearbyint` in the default rounding mode).
    Rint,
    Trunc,
    Erf,
    Erfc,
    Lgamma,
    Abs,
    IsNan,
    IsInf,
    IsFinite,
    Atan2,
    Pow,
    Max,
    Min,
    Fmod,
    Hypot,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MathKind {
    /// Float in, same float out; integers compute in double.
    Float1,
    Float2,
    /// Any arithmetic type, result in that type.
    Same1,
    Same2,
    /// Float in, bool out.
    Pred,
}

fn math_fn(name: &str) -> Option<(MathFn, MathKind, bool)> {
    use MathFn::*;
    use MathKind::*;
    let table = |n: &str| -> Option<(MathFn, MathKind)> {
        Some(match n {
            "exp" => (Exp, Float1),
            "exp2" => (Exp2, Float1),
            "log" => (Log, Float1),
            "log2" => (Log2, Float1),
            "log10" => (Log10, Float1),
            "log1p" => (Log1p, Float1),
            "expm1" => (Expm1, Float1),
            "sqrt" => (Sqrt, Float1),
            "rsqrt" => (Rsqrt, Float1),
            "cbrt" => (Cbrt, Float1),
            "tanh" => (Tanh, Float1),
            "sinh" => (Sinh, Float1),
            "cosh" => (Cosh, Float1),
            "sin" => (Sin, Float1),
            "cos" => (Cos, Float1),
            "tan" => (Tan, Float1),
            "asin" => (Asin, Float1),
            "acos" => (Acos, Float1),
            "atan" => (Atan, Float1),
            "floor" => (Floor, Float1),
            "ceil" => (Ceil, Float1),
            "round" => (Round, Float1),
            "rint" | "nearbyint" => (Rint, Float1),
            "trunc" => (Trunc, Float1),
            "erf" => (Erf, Float1),
            "erfc" => (Erfc, Float1),
            "lgamma" => (Lgamma, Float1),
            "fabs" => (Abs, Float1),
            "abs" => (Abs, Same1),
            "isnan" => (IsNan, Pred),
            "isinf" => (IsInf, Pred),
            "isfinite" => (IsFinite, Pred),
            "atan2" => (Atan2, Float2),
            "pow" => (Pow, Float2),
            "fmax" => (Max, Float2),
            "fmin" => (Min, Float2),
            "fmod" => (Fmod, Float2),
            "hypot" => (Hypot, Float2),
            "max" => (Max, Same2),
            "min" => (Min, Same2),
            _ => return None,
        })
    };
    if let Some((f, k)) = table(name) {
        return Some((f, k, false));
    }
    // `expf`, `powf`, ...: the float-only spellings of the float functions.
    let (f, k) = table(name.strip_suffix('f')?)?;
    matches!(k, Float1 | Float2).then_some((f, k, true))
}

/// A register index.
pub(crate) type R = usize;

#[derive(Clone, Debug)]
pub(crate) enum Inst {
    Bin {
        op: BinOp,
        dst: R,
        a: R,
        b: R,
    },
    Un {
        op: UnOp,
        dst: R,
        a: R,
    },
    Cast {
        dst: R,
        a: R,
    },
    Narrow {
        dst: R,
        a: R,
        ty: Ty,
    },
    Math {
        f: MathFn,
        dst: R,
        a: R,
        b: R,
    },
    /// `dst = cond ? a : b`, with `then` run for the lanes where `cond`
    /// holds and `els` for the others (so a guarded `x[i - 1]` never reads
    /// out of bounds).
    Select {
        dst: R,
        cond: R,
        then: Vec<Inst>,
        a: R,
        els: Vec<Inst>,
        b: R,
    },
    LoadRaw {
        dst: R,
        param: usize,
        idx: R,
    },
    StoreRaw {
        param: usize,
        idx: R,
        val: R,
    },
    /// `raw[idx] = op(raw[idx], val)` lane by lane in order (`atomicAdd`
    /// and its kin), so lanes that hit the same element all count; `val`
    /// has the element's compute type.
    AtomicRaw {
        op: AtomicOp,
        param: usize,
        idx: R,
        val: R,
    },
    /// Masked copy into a variable's register.
    Copy {
        dst: R,
        src: R,
    },
    If {
        cond: R,
        then: Vec<Inst>,
        els: Vec<Inst>,
    },
    Loop {
        cond_code: Vec<Inst>,
        cond: Option<R>,
        body: Vec<Inst>,
        step: Vec<Inst>,
    },
    Break,
    Continue,
    /// An inlined function body: the frame `Return` leaves.
    Func {
        body: Vec<Inst>,
    },
    Return,
}

/// Where a register's block-invariant value comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Setup {
    Const(CV),
    /// The scalar argument of this parameter.
    Scalar(usize),
    /// `_ind.size()`.
    IndSize,
    /// `x.size()` of a raw array parameter.
    RawSize(usize),
}

/// One compiled kernel body.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    pub regs: Vec<CTy>,
    pub setup: Vec<(R, Setup)>,
    /// Non-raw array parameters read at the start of each block.
    pub loads: Vec<(usize, R)>,
    /// Non-raw outputs written at the end of each block.
    pub stores: Vec<(usize, R)>,
    /// The register holding `i`, when the code reads it.
    pub index_reg: Option<R>,
    pub code: Vec<Inst>,
    /// True when code writes raw arrays (the executor then runs on one thread).
    pub raw_stores: bool,
}

/// What lowering needs to know about a parameter.
#[derive(Clone, Debug)]
pub(crate) struct LowerParam {
    pub name: String,
    pub raw: bool,
    pub is_output: bool,
    pub ty: Ty,
    pub scalar: bool,
}

#[derive(Clone)]
enum Sym {
    Var {
        reg: R,
        ty: Ty,
        writable: bool,
    },
    Raw {
        param: usize,
        ty: Ty,
        writable: bool,
    },
}

#[derive(Clone, Copy)]
struct Val {
    reg: R,
    ty: CTy,
    konst: Option<CV>,
}

struct Lower<'a> {
    params: &'a [LowerParam],
    type_map: &'a HashMap<String, Ty>,
    funcs: &'a [FuncDef],
    regs: Vec<CTy>,
    setup: Vec<(R, Setup)>,
    code: Vec<Vec<Inst>>,
    scopes: Vec<HashMap<String, Sym>>,
    loads: Vec<(usize, R)>,
    out_needs_load: Vec<bool>,
    index_reg: Option<R>,
    size_reg: Option<R>,
    /// Nesting of `if`/loops/ternaries: a write there is partial.
    cond_depth: usize,
    loop_depth: usize,
    /// Return registers and types of the functions being inlined.
    fn_stack: Vec<(String, Option<(R, Ty)>)>,
    raw_stores: bool,
    var_params: HashMap<usize, R>,
}

/// Lowers `stmts` (already parsed) with the parameters and function definitions given.
pub(crate) fn lower(
    params: &[LowerParam],
    type_map: &HashMap<String, Ty>,
    funcs: &[FuncDef],
    stmts: &[Stmt],
) -> PResult<Program> {
    let mut l = Lower {
        params,
        type_map,
        funcs,
        regs: Vec::new(),
        setup: Vec::new(),
        code: vec![Vec::new()],
        scopes: vec![HashMap::new()],
        loads: Vec::new(),
        out_needs_load: vec![false; params.len()],
        index_reg: None,
        size_reg: None,
        cond_depth: 0,
        loop_depth: 0,
        fn_stack: Vec::new(),
        raw_stores: false,
        var_params: HashMap::new(),
    };
    let mut stores = Vec::new();
    for (k, p) in params.iter().enumerate() {
        let sym = if p.raw {
            Sym::Raw {
                param: k,
                ty: p.ty,
                writable: p.is_output,
            }
        } else {
            let reg = l.reg(p.ty.compute());
            if p.scalar {
                l.setup.push((reg, Setup::Scalar(k)));
            } else if p.is_output {
                stores.push((k, reg));
            } else {
                l.loads.push((k, reg));
            }
            l.var_params.insert(k, reg);
            Sym::Var {
                reg,
                ty: p.ty,
                writable: p.is_output,
            }
        };
        l.scopes[0].insert(p.name.clone(), sym);
    }
    l.block(stmts)?;
    for (k, reg) in &stores {
        if l.out_needs_load[*k] {
            l.loads.push((*k, *reg));
        }
    }
    Ok(Program {
        regs: l.regs,
        setup: l.setup,
        loads: l.loads,
        stores,
        index_reg: l.index_reg,
        code: l.code.pop().expect("the top-level code buffer"),
        raw_stores: l.raw_stores,
    })
}

impl<'a> Lower<'a> {
    fn reg(&mut self, t: CTy) -> R {
        self.regs.push(t);
        self.regs.len() - 1
    }
    fn emit(&mut self, i: Inst) {
        self.code.last_mut().expect("a code buffer").push(i);
    }
    fn konst(&mut self, v: CV, t: CTy) -> Val {
        let v = v.cast(t);
        let reg = self.reg(t);
        self.setup.push((reg, Setup::Const(v)));
        Val {
            reg,
            ty: t,
            konst: Some(v),
        }
    }
    fn lookup(&self, name: &str) -> Option<Sym> {
        self.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }
    fn resolve_type(&self, t: &TypeName, pos: Pos, text: &str) -> PResult<Option<Ty>> {
        match t {
            TypeName::Auto => Ok(None),
            TypeName::Void => err(pos, text, "`void` is not a value type"),
            TypeName::Named(n) => {
                if let Some(t) = self.type_map.get(n) {
                    return Ok(Some(*t));
                }
                match c_type(n) {
                    Some(t) => Ok(Some(t)),
                    None => err(
                        pos,
                        n.clone(),
                        format!("type `{n}` is not supported by the CPU interpreter (or is an unbound placeholder)"),
                    ),
                }
            }
        }
    }

    fn cast(&mut self, v: Val, to: CTy) -> Val {
        if v.ty == to {
            return v;
        }
        if let Some(c) = v.konst {
            return self.konst(c, to);
        }
        let dst = self.reg(to);
        self.emit(Inst::Cast { dst, a: v.reg });
        Val {
            reg: dst,
            ty: to,
            konst: None,
        }
    }

    /// Converts to a declared type: cast, then wrap/round to a narrow type.
    fn convert(&mut self, v: Val, to: Ty) -> Val {
        let c = self.cast(v, to.compute());
        if !to.narrow() {
            return c;
        }
        let dst = self.reg(to.compute());
        self.emit(Inst::Narrow {
            dst,
            a: c.reg,
            ty: to,
        });
        Val {
            reg: dst,
            ty: to.compute(),
            konst: None,
        }
    }

    fn promote(t: CTy) -> CTy {
        if t == CTy::Bool {
            CTy::I32
        } else {
            t
        }
    }

    /// C's usual arithmetic conversions.
    fn common(a: CTy, b: CTy) -> CTy {
        let (a, b) = (Self::promote(a), Self::promote(b));
        if a == b {
            return a;
        }
        if a.is_float() || b.is_float() {
            return if a.rank() >= b.rank() { a } else { b };
        }
        let (hi, lo) = if a.rank() >= b.rank() { (a, b) } else { (b, a) };
        if hi.rank() == lo.rank() {
            // Same rank, one unsigned: unsigned wins.
            return if hi.unsigned() { hi } else { lo };
        }
        if hi.unsigned() || !lo.unsigned() {
            hi
        } else if hi == CTy::I64 {
            // int64 holds every uint32.
            CTy::I64
        } else {
            CTy::U64
        }
    }

    fn block(&mut self, stmts: &[Stmt]) -> PResult<()> {
        self.scopes.push(HashMap::new());
        for s in stmts {
            self.stmt(s)?;
        }
        self.scopes.pop();
        Ok(())
    }

    fn sub_code(&mut self, f: impl FnOnce(&mut Self) -> PResult<()>) -> PResult<Vec<Inst>> {
        self.code.push(Vec::new());
        let r = f(self);
        let c = self.code.pop().expect("pushed above");
        r.map(|_| c)
    }

    fn cond_val(&mut self, e: &Expr) -> PResult<R> {
        let v = self.expr(e)?;
        Ok(self.cast(v, CTy::Bool).reg)
    }

    fn stmt(&mut self, s: &Stmt) -> PResult<()> {
        match &s.kind {
            StmtKind::Decl(t, vars) => {
                let ty = self.resolve_type(t, s.pos, &s.text)?;
                for (name, init, pos) in vars {
                    let (ty, val) = match (ty, init) {
                        (Some(ty), Some(e)) => {
                            let v = self.expr(e)?;
                            (ty, Some(self.convert(v, ty)))
                        }
                        (Some(ty), None) => (ty, None),
                        (None, Some(e)) => {
                            let v = self.expr(e)?;
                            (Ty::of_compute(v.ty), Some(v))
                        }
                        (None, None) => {
                            return err(*pos, name.clone(), "`auto` needs an initializer")
                        }
                    };
                    let reg = self.reg(ty.compute());
                    match val {
                        Some(v) => {
                            if !self.retarget(v, reg) {
                                self.emit(Inst::Copy {
                                    dst: reg,
                                    src: v.reg,
                                })
                            }
                        }
                        // C leaves it indeterminate; zero keeps runs reproducible.
                        None => self
                            .setup
                            .push((reg, Setup::Const(CV::I(0).cast(ty.compute())))),
                    }
                    self.scopes.last_mut().expect("a scope").insert(
                        name.clone(),
                        Sym::Var {
                            reg,
                            ty,
                            writable: true,
                        },
                    );
                }
                Ok(())
            }
            StmtKind::Assign(lv, op, e) => {
                let rhs = self.expr(e)?;
                self.assign(lv, *op, rhs, s.pos)
            }
            StmtKind::Atomic(op, LValue::Index(name, idx), e) => {
                let rhs = self.expr(e)?;
                let (param, ty) = self.writable_raw(name, s.pos)?;
                // CUDA's overloads, so a kernel the CPU runs also compiles.
                let allowed: &[(Ty, &str)] = match op {
                    AtomicOp::Add => &[
                        (Ty::I32, "int32"),
                        (Ty::U32, "uint32"),
                        (Ty::U64, "uint64"),
                        (Ty::F16, "float16"),
                        (Ty::BF16, "bfloat16"),
                        (Ty::F32, "float32"),
                        (Ty::F64, "float64"),
                    ],
                    AtomicOp::Sub => &[(Ty::I32, "int32"), (Ty::U32, "uint32")],
                    AtomicOp::Max | AtomicOp::Min => &[
                        (Ty::I32, "int32"),
                        (Ty::U32, "uint32"),
                        (Ty::I64, "int64"),
                        (Ty::U64, "uint64"),
                    ],
                    AtomicOp::Exch => &[
                        (Ty::I32, "int32"),
                        (Ty::U32, "uint32"),
                        (Ty::U64, "uint64"),
                        (Ty::F32, "float32"),
                    ],
                };
                if !allowed.iter().any(|&(t, _)| t == ty) {
                    let names: Vec<&str> = allowed.iter().map(|&(_, n)| n).collect();
                    return err(
                        s.pos,
                        name.clone(),
                        format!(
                            "{} needs a raw array of {} (CUDA's overloads), `{name}` holds {}",
                            op.name(),
                            names.join(", "),
                            ty.type_name()
                        ),
                    );
                }
                let iv = self.index_val(idx)?;
                let v = self.cast(rhs, ty.compute());
                self.raw_stores = true;
                self.emit(Inst::AtomicRaw {
                    op: *op,
                    param,
                    idx: iv,
                    val: v.reg,
                });
                Ok(())
            }
            StmtKind::Atomic(op, LValue::Var(name), _) => err(
                s.pos,
                name.clone(),
                format!("{}'s target must be a raw array element `&x[j]`", op.name()),
            ),
            StmtKind::IncDec(lv, inc) => {
                let one = self.konst(CV::I(1), CTy::I32);
                let op = if *inc { BinOp::Add } else { BinOp::Sub };
                self.assign(lv, Some(op), one, s.pos)
            }
            StmtKind::Expr(e) => {
                if let ExprKind::Call(name, args) = &e.kind {
                    if self.funcs.iter().any(|f| &f.name == name) {
                        self.call_func(name, args, e.pos, true)?;
                        return Ok(());
                    }
                }
                self.expr(e)?;
                Ok(())
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::If(c, t, e) => {
                let cond = self.cond_val(c)?;
                self.cond_depth += 1;
                let then = self.sub_code(|l| l.block(t));
                let els = self.sub_code(|l| l.block(e));
                self.cond_depth -= 1;
                let (then, els) = (then?, els?);
                self.emit(Inst::If { cond, then, els });
                Ok(())
            }
            StmtKind::For(init, cond, step, body) => {
                self.scopes.push(HashMap::new());
                for s in init {
                    self.stmt(s)?;
                }
                let r = self.lower_loop(cond.as_ref(), step, body);
                self.scopes.pop();
                r
            }
            StmtKind::While(c, body) => self.lower_loop(Some(c), &[], body),
            StmtKind::Break | StmtKind::Continue => {
                if self.loop_depth == 0 {
                    return err(s.pos, s.text.clone(), "`break`/`continue` outside a loop");
                }
                self.emit(if matches!(s.kind, StmtKind::Break) {
                    Inst::Break
                } else {
                    Inst::Continue
                });
                Ok(())
            }
            StmtKind::Return(e) => {
                let Some((fname, ret)) = self.fn_stack.last().cloned() else {
                    return err(
                        s.pos,
                        "return",
                        "`return` is only allowed inside a preamble function",
                    );
                };
                match (ret, e) {
                    (Some((reg, ty)), Some(e)) => {
                        let v = self.expr(e)?;
                        let v = self.convert(v, ty);
                        self.emit(Inst::Copy {
                            dst: reg,
                            src: v.reg,
                        });
                    }
                    (None, None) => {}
                    (Some(_), None) => {
                        return err(s.pos, "return", format!("`{fname}` must return a value"))
                    }
                    (None, Some(_)) => {
                        return err(
                            s.pos,
                            "return",
                            format!("`{fname}` is void and cannot return a value"),
                        )
                    }
                }
                self.emit(Inst::Return);
                Ok(())
            }
        }
    }

    fn lower_loop(&mut self, cond: Option<&Expr>, step: &[Stmt], body: &[Stmt]) -> PResult<()> {
        self.cond_depth += 1;
        self.loop_depth += 1;
        let mut cr = None;
        let cond_code = self.sub_code(|l| {
            if let Some(c) = cond {
                cr = Some(l.cond_val(c)?);
            }
            Ok(())
        });
        let body = self.sub_code(|l| l.block(body));
        let step = self.sub_code(|l| {
            for s in step {
                l.stmt(s)?;
            }
            Ok(())
        });
        self.cond_depth -= 1;
        self.loop_depth -= 1;
        self.emit(Inst::Loop {
            cond_code: cond_code?,
            cond: cr,
            body: body?,
            step: step?,
        });
        Ok(())
    }

    fn mark_read(&mut self, name: &str) {
        if let Some(k) = self
            .params
            .iter()
            .position(|p| p.name == name && p.is_output && !p.raw)
        {
            // Only the top-level binding is the parameter; a shadowing local is not.
            if let Some(Sym::Var { reg, .. }) = self.lookup(name) {
                if self.var_params.get(&k) == Some(&reg) {
                    self.out_needs_load[k] = true;
                }
            }
        }
    }

    fn assign(&mut self, lv: &LValue, op: Option<BinOp>, rhs: Val, pos: Pos) -> PResult<()> {
        match lv {
            LValue::Var(name) => {
                let Some(sym) = self.lookup(name) else {
                    return err(pos, name.clone(), format!("unknown identifier `{name}`"));
                };
                let Sym::Var { reg, ty, writable } = sym else {
                    return err(
                        pos,
                        name.clone(),
                        format!("`{name}` is a raw array; assign to an element `{name}[...]`"),
                    );
                };
                if !writable {
                    return err(
                        pos,
                        name.clone(),
                        format!("`{name}` is an input parameter and cannot be assigned"),
                    );
                }
                if op.is_some() || self.cond_depth > 0 {
                    self.mark_read(name);
                }
                let v = match op {
                    Some(op) => {
                        let cur = Val {
                            reg,
                            ty: ty.compute(),
                            konst: None,
                        };
                        self.binary(op, cur, rhs, pos, "compound assignment")?
                    }
                    None => rhs,
                };
                let v = self.convert(v, ty);
                if !self.retarget(v, reg) {
                    self.emit(Inst::Copy {
                        dst: reg,
                        src: v.reg,
                    });
                }
                Ok(())
            }
            LValue::Index(name, idx) => {
                let (param, ty) = self.writable_raw(name, pos)?;
                let iv = self.index_val(idx)?;
                let v = match op {
                    Some(op) => {
                        let dst = self.reg(ty.compute());
                        self.emit(Inst::LoadRaw {
                            dst,
                            param,
                            idx: iv,
                        });
                        let cur = Val {
                            reg: dst,
                            ty: ty.compute(),
                            konst: None,
                        };
                        self.binary(op, cur, rhs, pos, "compound assignment")?
                    }
                    None => rhs,
                };
                let v = self.convert(v, ty);
                self.raw_stores = true;
                self.emit(Inst::StoreRaw {
                    param,
                    idx: iv,
                    val: v.reg,
                });
                Ok(())
            }
        }
    }

    /// Writes the last instruction's result straight into `var` instead of
    /// a temporary plus a copy (saves a pass per block on `z = x + y`). Only
    /// for unmasked writes and when the instruction does not read `var`.
    fn retarget(&mut self, v: Val, var: R) -> bool {
        if v.konst.is_some() || self.cond_depth > 0 || self.regs[v.reg] != self.regs[var] {
            return false;
        }
        let Some(last) = self.code.last_mut().and_then(|c| c.last_mut()) else {
            return false;
        };
        let (dst, reads) = match last {
            Inst::Bin { dst, a, b, .. } | Inst::Math { dst, a, b, .. } => (dst, [*a, *b]),
            Inst::Un { dst, a, .. } | Inst::Cast { dst, a } | Inst::Narrow { dst, a, .. } => {
                (dst, [*a, *a])
            }
            _ => return false,
        };
        if *dst != v.reg || reads.contains(&var) {
            return false;
        }
        *dst = var;
        true
    }

    /// The parameter index and element type of the raw output `name`.
    fn writable_raw(&self, name: &str, pos: Pos) -> PResult<(usize, Ty)> {
        let Some(Sym::Raw {
            param,
            ty,
            writable,
        }) = self.lookup(name)
        else {
            return err(
                pos,
                name.to_string(),
                format!("`{name}` is not a raw array parameter and cannot be indexed"),
            );
        };
        if !writable {
            return err(
                pos,
                name.to_string(),
                format!("`{name}` is an input parameter and cannot be assigned"),
            );
        }
        Ok((param, ty))
    }

    fn index_val(&mut self, idx: &Expr) -> PResult<R> {
        let v = self.expr(idx)?;
        if !(v.ty.is_int() || v.ty == CTy::Bool) {
            return err(
                idx.pos,
                idx.text.clone(),
                "an array index must be an integer",
            );
        }
        Ok(self.cast(v, CTy::I64).reg)
    }

    fn binary(&mut self, op: BinOp, a: Val, b: Val, pos: Pos, text: &str) -> PResult<Val> {
        use BinOp::*;
        match op {
            And | Or => unreachable!("short-circuit operators are lowered in expr"),
            Shl | Shr => {
                if !(Self::promote(a.ty).is_int() && Self::promote(b.ty).is_int()) {
                    return err(pos, text, "shift operands must be integers");
                }
                let t = Self::promote(a.ty);
                let a = self.cast(a, t);
                let b = self.cast(b, t);
                Ok(self.bin_inst(op, a, b, t))
            }
            Add | Sub | Mul | Div | Rem | BitAnd | BitOr | BitXor => {
                let t = Self::common(a.ty, b.ty);
                if matches!(op, Rem | BitAnd | BitOr | BitXor) && t.is_float() {
                    return err(
                        pos,
                        text,
                        "this operator needs integer operands (use fmod for floats)",
                    );
                }
                let a = self.cast(a, t);
                let b = self.cast(b, t);
                Ok(self.bin_inst(op, a, b, t))
            }
            Lt | Le | Gt | Ge | Eq | Ne => {
                let t = Self::common(a.ty, b.ty);
                let a = self.cast(a, t);
                let b = self.cast(b, t);
                Ok(self.bin_inst(op, a, b, CTy::Bool))
            }
        }
    }

    fn bin_inst(&mut self, op: BinOp, a: Val, b: Val, out: CTy) -> Val {
        let dst = self.reg(out);
        self.emit(Inst::Bin {
            op,
            dst,
            a: a.reg,
            b: b.reg,
        });
        Val {
            reg: dst,
            ty: out,
            konst: None,
        }
    }

    fn expr(&mut self, e: &Expr) -> PResult<Val> {
        match &e.kind {
            ExprKind::Int(v, IntSuffix { unsigned, long }) => {
                let t = match (unsigned, long) {
                    (false, false) if *v <= i32::MAX as u64 => CTy::I32,
                    (true, false) if *v <= u32::MAX as u64 => CTy::U32,
                    (false, _) if *v <= i64::MAX as u64 => CTy::I64,
                    _ => CTy::U64,
                };
                Ok(self.konst(CV::U(*v), t))
            }
            ExprKind::Float(v, is_f32) => {
                Ok(self.konst(CV::F(*v), if *is_f32 { CTy::F32 } else { CTy::F64 }))
            }
            ExprKind::Ident(name) => self.ident(name, e),
            ExprKind::Index(name, idx) => {
                let Some(Sym::Raw { param, ty, .. }) = self.lookup(name) else {
                    return match self.lookup(name) {
                        Some(_) => err(
                            e.pos,
                            name.clone(),
                            format!(
                                "`{name}` is not a raw array; only `raw` parameters can be indexed"
                            ),
                        ),
                        None => err(e.pos, name.clone(), format!("unknown identifier `{name}`")),
                    };
                };
                let iv = self.index_val(idx)?;
                let dst = self.reg(ty.compute());
                self.emit(Inst::LoadRaw {
                    dst,
                    param,
                    idx: iv,
                });
                Ok(Val {
                    reg: dst,
                    ty: ty.compute(),
                    konst: None,
                })
            }
            ExprKind::Method(obj, m) => {
                if m != "size" {
                    return err(
                        e.pos,
                        format!("{obj}.{m}()"),
                        format!("unknown method `{m}`; only `size()` is supported"),
                    );
                }
                let setup = if obj == "_ind" {
                    Setup::IndSize
                } else {
                    match self.lookup(obj) {
                        Some(Sym::Raw { param, .. }) => Setup::RawSize(param),
                        _ => {
                            return err(
                                e.pos,
                                obj.clone(),
                                format!("`{obj}.size()`: `{obj}` is not `_ind` or a raw array"),
                            )
                        }
                    }
                };
                if matches!(setup, Setup::IndSize) {
                    if let Some(r) = self.size_reg {
                        return Ok(Val {
                            reg: r,
                            ty: CTy::I64,
                            konst: None,
                        });
                    }
                }
                let reg = self.reg(CTy::I64);
                self.setup.push((reg, setup));
                if matches!(setup, Setup::IndSize) {
                    self.size_reg = Some(reg);
                }
                Ok(Val {
                    reg,
                    ty: CTy::I64,
                    konst: None,
                })
            }
            ExprKind::Unary(op, a) => {
                let v = self.expr(a)?;
                match op {
                    UnOp::Plus => {
                        let t = Self::promote(v.ty);
                        Ok(self.cast(v, t))
                    }
                    UnOp::Neg | UnOp::BitNot => {
                        let t = Self::promote(v.ty);
                        if *op == UnOp::BitNot && t.is_float() {
                            return err(e.pos, e.text.clone(), "`~` needs an integer operand");
                        }
                        let v = self.cast(v, t);
                        if let (UnOp::Neg, Some(c)) = (op, v.konst) {
                            let n = match c {
                                CV::I(i) => CV::I(i.wrapping_neg()),
                                CV::U(u) => CV::U(u.wrapping_neg()),
                                CV::F(f) => CV::F(-f),
                                CV::B(_) => unreachable!("promoted"),
                            };
                            return Ok(self.konst(n, t));
                        }
                        let dst = self.reg(t);
                        self.emit(Inst::Un {
                            op: *op,
                            dst,
                            a: v.reg,
                        });
                        Ok(Val {
                            reg: dst,
                            ty: t,
                            konst: None,
                        })
                    }
                    UnOp::Not => {
                        let v = self.cast(v, CTy::Bool);
                        let dst = self.reg(CTy::Bool);
                        self.emit(Inst::Un {
                            op: UnOp::Not,
                            dst,
                            a: v.reg,
                        });
                        Ok(Val {
                            reg: dst,
                            ty: CTy::Bool,
                            konst: None,
                        })
                    }
                }
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                // Short-circuit: the right side runs only for the lanes that need it.
                let c = self.cond_val(a)?;
                self.cond_depth += 1;
                let mut rb = 0;
                let rhs = self.sub_code(|l| {
                    rb = l.cond_val(b)?;
                    Ok(())
                });
                self.cond_depth -= 1;
                let rhs = rhs?;
                let dst = self.reg(CTy::Bool);
                let (then, a, els, b) = if *op == BinOp::And {
                    let f = self.konst(CV::B(false), CTy::Bool).reg;
                    (rhs, rb, vec![], f)
                } else {
                    let t = self.konst(CV::B(true), CTy::Bool).reg;
                    (vec![], t, rhs, rb)
                };
                self.emit(Inst::Select {
                    dst,
                    cond: c,
                    then,
                    a,
                    els,
                    b,
                });
                Ok(Val {
                    reg: dst,
                    ty: CTy::Bool,
                    konst: None,
                })
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.binary(*op, a, b, e.pos, &e.text)
            }
            ExprKind::Ternary(c, a, b) => {
                let cond = self.cond_val(c)?;
                self.cond_depth += 1;
                let (mut va, mut vb) = (None, None);
                let ca = self.sub_code(|l| {
                    va = Some(l.expr(a)?);
                    Ok(())
                });
                let cb = self.sub_code(|l| {
                    vb = Some(l.expr(b)?);
                    Ok(())
                });
                self.cond_depth -= 1;
                let (mut ca, mut cb) = (ca?, cb?);
                let (va, vb) = (va.expect("set"), vb.expect("set"));
                let t = if va.ty == CTy::Bool && vb.ty == CTy::Bool {
                    CTy::Bool
                } else {
                    Self::common(va.ty, vb.ty)
                };
                // The conversions belong to each branch's code.
                self.code.push(ca);
                let va = self.cast(va, t);
                ca = self.code.pop().expect("pushed");
                self.code.push(cb);
                let vb = self.cast(vb, t);
                cb = self.code.pop().expect("pushed");
                let dst = self.reg(t);
                self.emit(Inst::Select {
                    dst,
                    cond,
                    then: ca,
                    a: va.reg,
                    els: cb,
                    b: vb.reg,
                });
                Ok(Val {
                    reg: dst,
                    ty: t,
                    konst: None,
                })
            }
            ExprKind::Cast(t, a) => {
                let ty = match self.resolve_type(t, e.pos, &e.text)? {
                    Some(t) => t,
                    None => return err(e.pos, e.text.clone(), "cannot cast to `auto`"),
                };
                let v = self.expr(a)?;
                Ok(self.convert(v, ty))
            }
            ExprKind::Call(name, args) => {
                if self.funcs.iter().any(|f| &f.name == name) {
                    return match self.call_func(name, args, e.pos, false)? {
                        Some(v) => Ok(v),
                        None => err(
                            e.pos,
                            name.clone(),
                            format!("`{name}` returns void and has no value"),
                        ),
                    };
                }
                self.math(name, args, e)
            }
        }
    }

    fn ident(&mut self, name: &str, e: &Expr) -> PResult<Val> {
        if let Some(sym) = self.lookup(name) {
            return match sym {
                Sym::Var { reg, ty, .. } => {
                    self.mark_read(name);
                    Ok(Val {
                        reg,
                        ty: ty.compute(),
                        konst: None,
                    })
                }
                Sym::Raw { .. } => err(
                    e.pos,
                    name,
                    format!("`{name}` is a raw array; index it as `{name}[i]`"),
                ),
            };
        }
        match name {
            "i" => {
                let r = match self.index_reg {
                    Some(r) => r,
                    None => {
                        let r = self.reg(CTy::I64);
                        self.index_reg = Some(r);
                        r
                    }
                };
                Ok(Val {
                    reg: r,
                    ty: CTy::I64,
                    konst: None,
                })
            }
            "M_PI" => Ok(self.konst(CV::F(std::f64::consts::PI), CTy::F64)),
            "M_E" => Ok(self.konst(CV::F(std::f64::consts::E), CTy::F64)),
            "INFINITY" => Ok(self.konst(CV::F(f64::INFINITY), CTy::F32)),
            "NAN" => Ok(self.konst(CV::F(f64::NAN), CTy::F32)),
            _ => err(e.pos, name, format!("unknown identifier `{name}`")),
        }
    }

    fn math(&mut self, name: &str, args: &[Expr], e: &Expr) -> PResult<Val> {
        let Some((f, kind, force_f32)) = math_fn(name) else {
            return err(e.pos, name, format!("unknown function `{name}` (not a supported CUDA math function nor defined in the preamble)"));
        };
        let arity = if matches!(kind, MathKind::Float2 | MathKind::Same2) {
            2
        } else {
            1
        };
        if args.len() != arity {
            return err(
                e.pos,
                name,
                format!("`{name}` takes {arity} argument(s), found {}", args.len()),
            );
        }
        let mut vals = Vec::new();
        for a in args {
            vals.push(self.expr(a)?);
        }
        let mut t = if arity == 2 {
            Self::common(vals[0].ty, vals[1].ty)
        } else {
            Self::promote(vals[0].ty)
        };
        if matches!(kind, MathKind::Float1 | MathKind::Float2 | MathKind::Pred) && !t.is_float() {
            t = CTy::F64;
        }
        if force_f32 {
            t = CTy::F32;
        }
        let a = self.cast(vals[0], t);
        let b = if arity == 2 { self.cast(vals[1], t) } else { a };
        let out = if kind == MathKind::Pred { CTy::Bool } else { t };
        let dst = self.reg(out);
        self.emit(Inst::Math {
            f,
            dst,
            a: a.reg,
            b: b.reg,
        });
        Ok(Val {
            reg: dst,
            ty: out,
            konst: None,
        })
    }

    fn call_func(
        &mut self,
        name: &str,
        args: &[Expr],
        pos: Pos,
        stmt: bool,
    ) -> PResult<Option<Val>> {
        let f = self
            .funcs
            .iter()
            .find(|f| f.name == name)
            .expect("caller checked")
            .clone();
        if self.fn_stack.iter().any(|(n, _)| n == name) {
            return err(
                pos,
                name,
                format!("recursive call of `{name}` is not supported by the CPU interpreter"),
            );
        }
        if args.len() != f.params.len() {
            return err(
                pos,
                name,
                format!(
                    "`{name}` takes {} argument(s), found {}",
                    f.params.len(),
                    args.len()
                ),
            );
        }
        let mut scope = HashMap::new();
        for ((pt, pn), a) in f.params.iter().zip(args) {
            let v = self.expr(a)?;
            let ty = match self.resolve_type(pt, f.pos, pn)? {
                Some(t) => t,
                None => Ty::of_compute(v.ty),
            };
            let v = self.convert(v, ty);
            let reg = self.reg(ty.compute());
            self.emit(Inst::Copy {
                dst: reg,
                src: v.reg,
            });
            scope.insert(
                pn.clone(),
                Sym::Var {
                    reg,
                    ty,
                    writable: true,
                },
            );
        }
        let ret = match &f.ret {
            TypeName::Void => None,
            t => match self.resolve_type(t, f.pos, name)? {
                Some(t) => Some((self.reg(t.compute()), t)),
                None => return err(f.pos, name, "an `auto` return type is not supported"),
            },
        };
        if let Some((r, t)) = ret {
            self.setup
                .push((r, Setup::Const(CV::I(0).cast(t.compute()))));
        }
        if ret.is_none() && !stmt {
            return Ok(None);
        }
        // A function sees only its parameters (and the kernel's globals are not C globals).
        let saved = std::mem::replace(&mut self.scopes, vec![scope]);
        let saved_loop = std::mem::replace(&mut self.loop_depth, 0);
        self.fn_stack.push((name.to_string(), ret));
        self.cond_depth += 1;
        let body = self.sub_code(|l| l.block(&f.body)).map_err(|mut e| {
            e.in_preamble = true;
            e
        });
        self.cond_depth -= 1;
        self.fn_stack.pop();
        self.loop_depth = saved_loop;
        self.scopes = saved;
        self.emit(Inst::Func { body: body? });
        Ok(ret.map(|(reg, t)| Val {
            reg,
            ty: t.compute(),
            konst: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_arithmetic_conversions_follow_c() {
        assert_eq!(Lower::common(CTy::I32, CTy::F32), CTy::F32);
        assert_eq!(Lower::common(CTy::F32, CTy::F64), CTy::F64);
        assert_eq!(Lower::common(CTy::I32, CTy::U32), CTy::U32);
        assert_eq!(Lower::common(CTy::U32, CTy::I64), CTy::I64);
        assert_eq!(Lower::common(CTy::I64, CTy::U64), CTy::U64);
        assert_eq!(Lower::common(CTy::Bool, CTy::Bool), CTy::I32);
    }

    #[test]
    fn constants_fold_through_casts() {
        assert_eq!(CV::F(2.7).cast(CTy::I32), CV::I(2));
        assert_eq!(CV::I(-1).cast(CTy::U32), CV::U(u32::MAX as u64));
        assert_eq!(CV::I(3_000_000_000).cast(CTy::I32), CV::I(-1_294_967_296));
        assert_eq!(CV::F(0.0).cast(CTy::Bool), CV::B(false));
    }

    #[test]
    fn math_names_resolve_with_float_suffix() {
        assert_eq!(
            math_fn("expf").map(|m| (m.0, m.2)),
            Some((MathFn::Exp, true))
        );
        assert_eq!(
            math_fn("erf").map(|m| (m.0, m.2)),
            Some((MathFn::Erf, false))
        );
        assert_eq!(
            math_fn("erff").map(|m| (m.0, m.2)),
            Some((MathFn::Erf, true))
        );
        assert_eq!(
            math_fn("fabsf").map(|m| (m.0, m.2)),
            Some((MathFn::Abs, true))
        );
        assert_eq!(math_fn("isinf").map(|m| m.0), Some(MathFn::IsInf));
        assert!(math_fn("maxf").is_none());
        assert!(math_fn("frobnicate").is_none());
    }
}
