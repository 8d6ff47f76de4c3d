//! Lexer and recursive-descent parser for the C subset user kernels are
//! written in. The parser knows nothing about types beyond the spelling of
//! type names; `lower.rs` checks and types the tree.

/// A position in the source: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A parse or type error before it is tied to a kernel name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SrcError {
    pub pos: Pos,
    pub found: String,
    pub message: String,
    /// Set when the error lies in a preamble function (positions are the preamble's).
    pub in_preamble: bool,
}

pub(crate) type PResult<T> = std::result::Result<T, SrcError>;

pub(crate) fn err<T>(pos: Pos, found: impl Into<String>, message: impl Into<String>) -> PResult<T> {
    Err(SrcError {
        pos,
        found: found.into(),
        message: message.into(),
        in_preamble: false,
    })
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Int(u64, IntSuffix),
    Float(f64, bool),
    Punct(&'static str),
    Eof,
}

/// Integer literal suffixes: whether `u` and/or `l`/`ll` were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct IntSuffix {
    pub unsigned: bool,
    pub long: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: Pos,
    pub text: String,
}

// Longest first so that `<<=` wins over `<<` and `<`.
const PUNCTS: &[&str] = &[
    "<<=", ">>=", "::", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "==", "!=",
    "<=", ">=", "&&", "||", "<<", ">>", "->", "+", "-", "*", "/", "%", "=", "<", ">", "!", "~",
    "&", "|", "^", "?", ":", ";", ",", "(", ")", "{", "}", "[", "]", ".", "#",
];

pub(crate) fn lex(src: &str) -> PResult<Vec<Token>> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let adv = |i: &mut usize, line: &mut usize, col: &mut usize, c: char| {
        *i += 1;
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            adv(&mut i, &mut line, &mut col, c);
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                {
                    let ch = chars[i];
                    adv(&mut i, &mut line, &mut col, ch);
                }
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            adv(&mut i, &mut line, &mut col, '/');
            adv(&mut i, &mut line, &mut col, '*');
            loop {
                if i >= chars.len() {
                    return err(pos, "/*", "unterminated comment");
                }
                if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    adv(&mut i, &mut line, &mut col, '*');
                    adv(&mut i, &mut line, &mut col, '/');
                    break;
                }
                {
                    let ch = chars[i];
                    adv(&mut i, &mut line, &mut col, ch);
                }
            }
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                {
                    let ch = chars[i];
                    adv(&mut i, &mut line, &mut col, ch);
                }
            }
            let s: String = chars[start..i].iter().collect();
            toks.push(Token {
                tok: Tok::Ident(s.clone()),
                pos,
                text: s,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let mut is_float = false;
            let hex = c == '0' && matches!(chars.get(i + 1), Some('x' | 'X'));
            if hex {
                adv(&mut i, &mut line, &mut col, '0');
                adv(&mut i, &mut line, &mut col, 'x');
                while i < chars.len() && chars[i].is_ascii_hexdigit() {
                    {
                        let ch = chars[i];
                        adv(&mut i, &mut line, &mut col, ch);
                    }
                }
            } else {
                while i < chars.len() {
                    let d = chars[i];
                    if d.is_ascii_digit() {
                    } else if d == '.' {
                        is_float = true;
                    } else if (d == 'e' || d == 'E')
                        && chars
                            .get(i + 1)
                            .is_some_and(|n| n.is_ascii_digit() || *n == '-' || *n == '+')
                    {
                        is_float = true;
                        adv(&mut i, &mut line, &mut col, d);
                        let d2 = chars[i];
                        adv(&mut i, &mut line, &mut col, d2);
                        continue;
                    } else {
                        break;
                    }
                    adv(&mut i, &mut line, &mut col, d);
                }
            }
            let body: String = chars[start..i].iter().collect();
            let sstart = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                {
                    let ch = chars[i];
                    adv(&mut i, &mut line, &mut col, ch);
                }
            }
            let suffix: String = chars[sstart..i].iter().collect::<String>().to_lowercase();
            let text: String = chars[start..i].iter().collect();
            let tok = if is_float {
                let v: f64 = match body.parse() {
                    Ok(v) => v,
                    Err(_) => return err(pos, text, "malformed floating-point literal"),
                };
                match suffix.as_str() {
                    "" => Tok::Float(v, false),
                    "f" => Tok::Float(v, true),
                    _ => return err(pos, text, "unknown floating-point literal suffix"),
                }
            } else {
                let v = if hex {
                    u64::from_str_radix(&body[2..], 16)
                } else {
                    body.parse::<u64>()
                };
                let v = match v {
                    Ok(v) => v,
                    Err(_) => return err(pos, text, "malformed or too large integer literal"),
                };
                let suf = match suffix.as_str() {
                    "" => IntSuffix::default(),
                    "u" => IntSuffix {
                        unsigned: true,
                        long: false,
                    },
                    "l" | "ll" => IntSuffix {
                        unsigned: false,
                        long: true,
                    },
                    "ul" | "ull" | "lu" | "llu" => IntSuffix {
                        unsigned: true,
                        long: true,
                    },
                    _ => return err(pos, text, "unknown integer literal suffix"),
                };
                Tok::Int(v, suf)
            };
            toks.push(Token { tok, pos, text });
            continue;
        }
        let rest: String = chars[i..(i + 3).min(chars.len())].iter().collect();
        match PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            Some(p) => {
                for ch in p.chars() {
                    adv(&mut i, &mut line, &mut col, ch);
                }
                toks.push(Token {
                    tok: Tok::Punct(p),
                    pos,
                    text: p.to_string(),
                });
            }
            None => return err(pos, c.to_string(), "unexpected character"),
        }
    }
    toks.push(Token {
        tok: Tok::Eof,
        pos: Pos { line, col },
        text: "end of input".into(),
    });
    Ok(toks)
}

/// A type as spelled: a C type (`unsigned int`, `long long`), a kusari dtype
/// name (`float32`), or a placeholder (`T`, `_type_reduce`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TypeName {
    Named(String),
    Auto,
    Void,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// The CUDA atomics the interpreter runs as statements (their old value
/// unused): how each combines the element `x` with the value `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtomicOp {
    /// `x + v` (`atomicAdd`).
    Add,
    /// `x - v` (`atomicSub`).
    Sub,
    /// `max(x, v)` (`atomicMax`).
    Max,
    /// `min(x, v)` (`atomicMin`).
    Min,
    /// `v` (`atomicExch`).
    Exch,
}

impl AtomicOp {
    fn of_name(name: &str) -> Option<AtomicOp> {
        Some(match name {
            "atomicAdd" => AtomicOp::Add,
            "atomicSub" => AtomicOp::Sub,
            "atomicMax" => AtomicOp::Max,
            "atomicMin" => AtomicOp::Min,
            "atomicExch" => AtomicOp::Exch,
            _ => return None,
        })
    }

    /// The CUDA function's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AtomicOp::Add => "atomicAdd",
            AtomicOp::Sub => "atomicSub",
            AtomicOp::Max => "atomicMax",
            AtomicOp::Min => "atomicMin",
            AtomicOp::Exch => "atomicExch",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Not,
    BitNot,
}

#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
    pub text: String,
}

#[derive(Clone, Debug)]
pub(crate) enum ExprKind {
    Int(u64, IntSuffix),
    Float(f64, bool),
    Ident(String),
    Index(String, Box<Expr>),
    Call(String, Vec<Expr>),
    Method(String, String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Cast(TypeName, Box<Expr>),
}

#[derive(Clone, Debug)]
pub(crate) enum LValue {
    Var(String),
    Index(String, Expr),
}

#[derive(Clone, Debug)]
pub(crate) struct Stmt {
    pub kind: StmtKind,
    pub pos: Pos,
    pub text: String,
}

#[derive(Clone, Debug)]
pub(crate) enum StmtKind {
    Decl(TypeName, Vec<(String, Option<Expr>, Pos)>),
    Assign(LValue, Option<BinOp>, Expr),
    /// `atomicAdd(&x[j], v);` and its kin: the operation, the raw array
    /// element and the value.
    Atomic(AtomicOp, LValue, Expr),
    IncDec(LValue, bool),
    Expr(Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    For(Vec<Stmt>, Option<Expr>, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>),
    Block(Vec<Stmt>),
    Break,
    Continue,
    Return(Option<Expr>),
}

/// A function defined in a preamble.
#[derive(Clone, Debug)]
pub(crate) struct FuncDef {
    pub name: String,
    pub ret: TypeName,
    pub params: Vec<(TypeName, String)>,
    pub body: Vec<Stmt>,
    pub pos: Pos,
}

const TYPE_WORDS: &[&str] = &[
    "const",
    "unsigned",
    "signed",
    "int",
    "long",
    "short",
    "char",
    "float",
    "double",
    "bool",
    "auto",
    "void",
    "half",
    "size_t",
    "ptrdiff_t",
    "int8_t",
    "uint8_t",
    "int16_t",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "uint8",
    "int16",
    "int32",
    "int64",
    "__half",
    "__nv_bfloat16",
];

/// Words the subset rejects with a message naming them.
const UNSUPPORTED: &[&str] = &[
    "goto",
    "switch",
    "case",
    "do",
    "struct",
    "class",
    "union",
    "typedef",
    "template",
    "sizeof",
    "new",
    "delete",
    "asm",
    "extern",
    "__syncthreads",
    "atomicAdd",
    "atomicSub",
    "atomicMax",
    "atomicMin",
    "atomicExch",
    "atomicCAS",
    "printf",
    "threadIdx",
    "blockIdx",
    "blockDim",
    "gridDim",
    "__shared__",
    "enum",
    "namespace",
    "using",
    "volatile",
];

pub(crate) struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    /// Names the caller declared as types (placeholders, `_type_reduce`).
    type_names: &'a [String],
}

impl<'a> Parser<'a> {
    pub(crate) fn new(toks: &'a [Token], type_names: &'a [String]) -> Self {
        Parser {
            toks,
            i: 0,
            type_names,
        }
    }

    fn peek(&self) -> &Token {
        &self.toks[self.i]
    }
    fn peek_at(&self, k: usize) -> &Token {
        &self.toks[(self.i + k).min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> Token {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn is_punct(&self, p: &str) -> bool {
        matches!(&self.peek().tok, Tok::Punct(q) if *q == p)
    }
    fn is_ident(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(q) if q == s)
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.next();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &str) -> PResult<()> {
        if self.eat(p) {
            Ok(())
        } else {
            let t = self.peek();
            err(t.pos, t.text.clone(), format!("expected `{p}`"))
        }
    }
    fn ident(&mut self) -> PResult<(String, Pos)> {
        let t = self.next();
        match t.tok {
            Tok::Ident(s) => {
                check_supported(&s, t.pos)?;
                Ok((s, t.pos))
            }
            _ => err(t.pos, t.text, "expected an identifier"),
        }
    }
    pub(crate) fn at_eof(&self) -> bool {
        self.peek().tok == Tok::Eof
    }

    fn word_is_type(&self, s: &str) -> bool {
        TYPE_WORDS.contains(&s) || self.type_names.iter().any(|t| t == s)
    }

    /// Whether a type starts here (a declaration or a cast).
    fn at_type(&self) -> bool {
        matches!(&self.peek().tok, Tok::Ident(s) if self.word_is_type(s))
    }

    fn type_name(&mut self) -> PResult<TypeName> {
        let mut words: Vec<String> = Vec::new();
        while let Tok::Ident(s) = &self.peek().tok {
            if !self.word_is_type(s) {
                break;
            }
            let s = s.clone();
            self.next();
            if s != "const" {
                words.push(s);
            }
        }
        // `T&`/`const T&` parameters read like values here.
        self.eat("&");
        if words.is_empty() {
            let t = self.peek();
            return err(t.pos, t.text.clone(), "expected a type name");
        }
        Ok(match words.join(" ").as_str() {
            "auto" => TypeName::Auto,
            "void" => TypeName::Void,
            s => TypeName::Named(s.to_string()),
        })
    }

    pub(crate) fn statements_until_eof(&mut self) -> PResult<Vec<Stmt>> {
        let mut out = Vec::new();
        while !self.at_eof() {
            out.push(self.statement()?);
        }
        Ok(out)
    }

    fn block_or_stmt(&mut self) -> PResult<Vec<Stmt>> {
        if self.is_punct("{") {
            let s = self.statement()?;
            match s.kind {
                StmtKind::Block(v) => Ok(v),
                _ => unreachable!("a brace always starts a block"),
            }
        } else {
            Ok(vec![self.statement()?])
        }
    }

    pub(crate) fn statement(&mut self) -> PResult<Stmt> {
        let t = self.peek().clone();
        let mk = |kind| Stmt {
            kind,
            pos: t.pos,
            text: t.text.clone(),
        };
        if let Tok::Punct(p) = &t.tok {
            match *p {
                "{" => {
                    self.next();
                    let mut v = Vec::new();
                    while !self.eat("}") {
                        if self.at_eof() {
                            return err(t.pos, "{", "unclosed `{`");
                        }
                        v.push(self.statement()?);
                    }
                    return Ok(mk(StmtKind::Block(v)));
                }
                ";" => {
                    self.next();
                    return Ok(mk(StmtKind::Block(vec![])));
                }
                "#" => {
                    return err(
                        t.pos,
                        "#",
                        "preprocessor directives are not supported by the CPU interpreter",
                    )
                }
                _ => {}
            }
        }
        if let Tok::Ident(w) = &t.tok {
            match w.as_str() {
                // `atomicAdd(&x[j], v);` and its kin as statements: on the
                // CPU a kernel that writes raw arrays runs on one thread and
                // these update lane by lane, so `atomicAdd` is `x[j] += v`
                // in element order there (CUDA's order is unspecified).
                name if AtomicOp::of_name(name).is_some() && self.is_punct_at(1, "(") => {
                    let op = AtomicOp::of_name(name).expect("matched above");
                    let f = op.name();
                    self.next();
                    self.expect("(")?;
                    if !self.eat("&") {
                        let t = self.peek();
                        return err(t.pos, t.text.clone(), format!("expected `&x[j]`: {f}'s first argument is the address of a raw array element"));
                    }
                    let lv = self.lvalue()?;
                    if let LValue::Var(name) = &lv {
                        return err(
                            t.pos,
                            name.clone(),
                            format!(
                                "{f}'s target must be a raw array element `&x[j]`, not a variable"
                            ),
                        );
                    }
                    self.expect(",")?;
                    let e = self.expr()?;
                    self.expect(")")?;
                    self.expect(";")?;
                    return Ok(mk(StmtKind::Atomic(op, lv, e)));
                }
                "if" => {
                    self.next();
                    self.expect("(")?;
                    let c = self.expr()?;
                    self.expect(")")?;
                    let then = self.block_or_stmt()?;
                    let els = if self.is_ident("else") {
                        self.next();
                        self.block_or_stmt()?
                    } else {
                        vec![]
                    };
                    return Ok(mk(StmtKind::If(c, then, els)));
                }
                "for" => {
                    self.next();
                    self.expect("(")?;
                    let init = if self.eat(";") {
                        vec![]
                    } else {
                        vec![self.simple_statement(true)?]
                    };
                    let cond = if self.is_punct(";") {
                        None
                    } else {
                        Some(self.expr()?)
                    };
                    self.expect(";")?;
                    let mut step = vec![];
                    if !self.is_punct(")") {
                        step.push(self.simple_statement(false)?);
                        while self.eat(",") {
                            step.push(self.simple_statement(false)?);
                        }
                    }
                    self.expect(")")?;
                    let body = self.block_or_stmt()?;
                    return Ok(mk(StmtKind::For(init, cond, step, body)));
                }
                "while" => {
                    self.next();
                    self.expect("(")?;
                    let c = self.expr()?;
                    self.expect(")")?;
                    let body = self.block_or_stmt()?;
                    return Ok(mk(StmtKind::While(c, body)));
                }
                "break" | "continue" => {
                    self.next();
                    self.expect(";")?;
                    return Ok(mk(if w == "break" {
                        StmtKind::Break
                    } else {
                        StmtKind::Continue
                    }));
                }
                "return" => {
                    self.next();
                    let e = if self.is_punct(";") {
                        None
                    } else {
                        Some(self.expr()?)
                    };
                    self.expect(";")?;
                    return Ok(mk(StmtKind::Return(e)));
                }
                "else" => return err(t.pos, "else", "`else` without a matching `if`"),
                _ => {}
            }
        }
        self.simple_statement(true)
    }

    /// A declaration, assignment, `++`/`--` or expression statement; with
    /// `semi` it also consumes the closing `;`.
    fn simple_statement(&mut self, semi: bool) -> PResult<Stmt> {
        let t = self.peek().clone();
        let mk = |kind| Stmt {
            kind,
            pos: t.pos,
            text: t.text.clone(),
        };
        let stmt = if self.at_type() && !self.is_punct_at(1, "(") {
            let ty = self.type_name()?;
            let mut vars = Vec::new();
            loop {
                let (name, pos) = self.ident()?;
                if self.is_punct("[") {
                    let t = self.peek();
                    return err(
                        t.pos,
                        t.text.clone(),
                        "local arrays are not supported by the CPU interpreter",
                    );
                }
                let init = if self.eat("=") {
                    Some(self.expr()?)
                } else {
                    None
                };
                vars.push((name, init, pos));
                if !self.eat(",") {
                    break;
                }
            }
            mk(StmtKind::Decl(ty, vars))
        } else if self.is_punct("++") || self.is_punct("--") {
            let inc = self.next().text == "++";
            let lv = self.lvalue()?;
            mk(StmtKind::IncDec(lv, inc))
        } else {
            let save = self.i;
            let lhs_is_lvalue = matches!(self.peek().tok, Tok::Ident(_)) && {
                let r = self.lvalue();
                let ok = r.is_ok();
                let op_follows = ASSIGN_OPS.iter().any(|(p, _)| self.is_punct(p))
                    || self.is_punct("++")
                    || self.is_punct("--");
                self.i = save;
                ok && op_follows
            };
            if lhs_is_lvalue {
                let lv = self.lvalue()?;
                if self.is_punct("++") || self.is_punct("--") {
                    let inc = self.next().text == "++";
                    mk(StmtKind::IncDec(lv, inc))
                } else {
                    let optok = self.next();
                    let op = ASSIGN_OPS
                        .iter()
                        .find(|(p, _)| optok.text == *p)
                        .map(|(_, o)| *o)
                        .expect("checked above");
                    let e = self.expr()?;
                    if ASSIGN_OPS.iter().any(|(p, _)| self.is_punct(p)) {
                        let t = self.peek();
                        return err(t.pos, t.text.clone(), "chained assignment is not supported by the CPU interpreter; write one assignment per statement");
                    }
                    mk(StmtKind::Assign(lv, op, e))
                }
            } else {
                let e = self.expr()?;
                if ASSIGN_OPS.iter().any(|(p, _)| self.is_punct(p)) {
                    let t = self.peek();
                    return err(
                        t.pos,
                        t.text.clone(),
                        "assignment to something that is not a variable or a raw array element",
                    );
                }
                mk(StmtKind::Expr(e))
            }
        };
        if semi {
            self.expect(";")?;
        }
        Ok(stmt)
    }

    fn is_punct_at(&self, k: usize, p: &str) -> bool {
        matches!(&self.peek_at(k).tok, Tok::Punct(q) if *q == p)
    }

    fn lvalue(&mut self) -> PResult<LValue> {
        let (name, _) = self.ident()?;
        if self.eat("[") {
            let e = self.expr()?;
            self.expect("]")?;
            Ok(LValue::Index(name, e))
        } else {
            Ok(LValue::Var(name))
        }
    }

    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        let c = self.binary(0)?;
        if self.is_punct("?") {
            let t = self.next();
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            return Ok(Expr {
                pos: c.pos,
                text: t.text,
                kind: ExprKind::Ternary(Box::new(c), Box::new(a), Box::new(b)),
            });
        }
        Ok(c)
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        loop {
            let t = self.peek().clone();
            let Some((op, prec)) = (match &t.tok {
                Tok::Punct(p) => BIN_OPS
                    .iter()
                    .find(|(s, _, _)| s == p)
                    .map(|(_, o, pr)| (*o, *pr)),
                _ => None,
            }) else {
                break;
            };
            if prec < min_prec {
                break;
            }
            self.next();
            let rhs = self.binary(prec + 1)?;
            lhs = Expr {
                pos: t.pos,
                text: t.text,
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        let un = match &t.tok {
            Tok::Punct("-") => Some(UnOp::Neg),
            Tok::Punct("+") => Some(UnOp::Plus),
            Tok::Punct("!") => Some(UnOp::Not),
            Tok::Punct("~") => Some(UnOp::BitNot),
            Tok::Punct("++") | Tok::Punct("--") => {
                return err(t.pos, t.text, "`++`/`--` inside an expression is not supported by the CPU interpreter; use it as a statement");
            }
            Tok::Punct("*") | Tok::Punct("&") => {
                return err(
                    t.pos,
                    t.text,
                    "pointers are not supported by the CPU interpreter",
                );
            }
            _ => None,
        };
        if let Some(op) = un {
            self.next();
            let e = self.unary()?;
            return Ok(Expr {
                pos: t.pos,
                text: t.text,
                kind: ExprKind::Unary(op, Box::new(e)),
            });
        }
        // C cast `(float)x`.
        if t.tok == Tok::Punct("(") {
            if let Tok::Ident(s) = &self.peek_at(1).tok {
                if self.word_is_type(s) {
                    self.next();
                    let ty = self.type_name()?;
                    self.expect(")")?;
                    let e = self.unary()?;
                    return Ok(Expr {
                        pos: t.pos,
                        text: t.text,
                        kind: ExprKind::Cast(ty, Box::new(e)),
                    });
                }
            }
        }
        self.postfix()
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        if self.is_punct("++") || self.is_punct("--") {
            let t = self.peek();
            return err(t.pos, t.text.clone(), "`++`/`--` inside an expression is not supported by the CPU interpreter; use it as a statement");
        }
        Ok(e)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.next();
        let mk = |kind| Expr {
            kind,
            pos: t.pos,
            text: t.text.clone(),
        };
        match &t.tok {
            Tok::Int(v, s) => Ok(mk(ExprKind::Int(*v, *s))),
            Tok::Float(v, f) => Ok(mk(ExprKind::Float(*v, *f))),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Ident(s) => {
                check_supported(s, t.pos)?;
                if s == "static_cast" {
                    self.expect("<")?;
                    let ty = self.type_name()?;
                    self.expect(">")?;
                    self.expect("(")?;
                    let e = self.expr()?;
                    self.expect(")")?;
                    return Ok(mk(ExprKind::Cast(ty, Box::new(e))));
                }
                if self.word_is_type(s) {
                    // Functional cast `T(x)`, `float(x)`.
                    self.i -= 1;
                    let ty = self.type_name()?;
                    self.expect("(")?;
                    let e = self.expr()?;
                    self.expect(")")?;
                    return Ok(mk(ExprKind::Cast(ty, Box::new(e))));
                }
                if self.eat("(") {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.expr()?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    return Ok(mk(ExprKind::Call(s.clone(), args)));
                }
                if self.eat("[") {
                    let e = self.expr()?;
                    self.expect("]")?;
                    if self.is_punct("[") {
                        let t = self.peek();
                        return err(t.pos, t.text.clone(), "multi-dimensional indexing `x[i][j]` is not supported; raw arrays are indexed by one flat index");
                    }
                    return Ok(mk(ExprKind::Index(s.clone(), Box::new(e))));
                }
                if self.eat(".") {
                    let (m, _) = self.ident()?;
                    self.expect("(")?;
                    self.expect(")")?;
                    return Ok(mk(ExprKind::Method(s.clone(), m)));
                }
                if s == "true" || s == "false" {
                    let lit = mk(ExprKind::Int((s == "true") as u64, IntSuffix::default()));
                    return Ok(mk(ExprKind::Cast(
                        TypeName::Named("bool".into()),
                        Box::new(lit),
                    )));
                }
                Ok(mk(ExprKind::Ident(s.clone())))
            }
            _ => err(t.pos, t.text.clone(), "expected an expression"),
        }
    }

    /// Preamble: function definitions only.
    pub(crate) fn preamble(&mut self) -> PResult<Vec<FuncDef>> {
        let mut out = Vec::new();
        while !self.at_eof() {
            while let Tok::Ident(s) = &self.peek().tok {
                if matches!(
                    s.as_str(),
                    "__device__"
                        | "__host__"
                        | "__forceinline__"
                        | "inline"
                        | "static"
                        | "__inline__"
                ) {
                    self.next();
                } else {
                    break;
                }
            }
            if !self.at_type() {
                let t = self.peek();
                if let Tok::Ident(s) = &t.tok {
                    check_supported(s, t.pos)?;
                }
                return err(t.pos, t.text.clone(), "the CPU interpreter accepts only function definitions (`__device__ T f(T a) { ... }`) in a preamble");
            }
            let ret = self.type_name()?;
            let (name, pos) = self.ident()?;
            if !self.eat("(") {
                let t = self.peek();
                return err(t.pos, t.text.clone(), "the CPU interpreter accepts only function definitions in a preamble (expected `(` after the function name)");
            }
            let mut params = Vec::new();
            if !self.eat(")") {
                loop {
                    if self.is_ident("void") && self.is_punct_at(1, ")") {
                        self.next();
                        self.next();
                        break;
                    }
                    let ty = self.type_name()?;
                    let (n, _) = self.ident()?;
                    params.push((ty, n));
                    if self.eat(")") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            if !self.is_punct("{") {
                let t = self.peek();
                return err(t.pos, t.text.clone(), "expected a function body `{ ... }`");
            }
            let body = self.block_or_stmt()?;
            out.push(FuncDef {
                name,
                ret,
                params,
                body,
                pos,
            });
        }
        Ok(out)
    }
}

fn check_supported(s: &str, pos: Pos) -> PResult<()> {
    if UNSUPPORTED.contains(&s) {
        return err(
            pos,
            s,
            if let Some(op) = AtomicOp::of_name(s) {
                let f = op.name();
                format!("`{f}` is supported only as a statement `{f}(&x[j], v);` whose result is unused")
            } else {
                format!("`{s}` is not supported by the CPU interpreter of user kernels")
            },
        );
    }
    Ok(())
}

const ASSIGN_OPS: &[(&str, Option<BinOp>)] = &[
    ("=", None),
    ("+=", Some(BinOp::Add)),
    ("-=", Some(BinOp::Sub)),
    ("*=", Some(BinOp::Mul)),
    ("/=", Some(BinOp::Div)),
    ("%=", Some(BinOp::Rem)),
    ("&=", Some(BinOp::BitAnd)),
    ("|=", Some(BinOp::BitOr)),
    ("^=", Some(BinOp::BitXor)),
    ("<<=", Some(BinOp::Shl)),
    (">>=", Some(BinOp::Shr)),
];

// C precedence, higher binds tighter.
const BIN_OPS: &[(&str, BinOp, u8)] = &[
    ("||", BinOp::Or, 1),
    ("&&", BinOp::And, 2),
    ("|", BinOp::BitOr, 3),
    ("^", BinOp::BitXor, 4),
    ("&", BinOp::BitAnd, 5),
    ("==", BinOp::Eq, 6),
    ("!=", BinOp::Ne, 6),
    ("<", BinOp::Lt, 7),
    ("<=", BinOp::Le, 7),
    (">", BinOp::Gt, 7),
    (">=", BinOp::Ge, 7),
    ("<<", BinOp::Shl, 8),
    (">>", BinOp::Shr, 8),
    ("+", BinOp::Add, 9),
    ("-", BinOp::Sub, 9),
    ("*", BinOp::Mul, 10),
    ("/", BinOp::Div, 10),
    ("%", BinOp::Rem, 10),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> PResult<Vec<Stmt>> {
        let toks = lex(src)?;
        let tn = vec!["T".to_string()];
        Parser::new(&toks, &tn).statements_until_eof()
    }

    #[test]
    fn lexes_literals_and_operators() {
        let t = lex("a <<= 0x1F + 2.5e-1f * 3ull; // c\n/* d */ b").unwrap();
        let kinds: Vec<_> = t.iter().map(|t| t.tok.clone()).collect();
        assert_eq!(kinds[1], Tok::Punct("<<="));
        assert_eq!(kinds[2], Tok::Int(31, IntSuffix::default()));
        assert_eq!(kinds[4], Tok::Float(0.25, true));
        assert_eq!(
            kinds[6],
            Tok::Int(
                3,
                IntSuffix {
                    unsigned: true,
                    long: true
                }
            )
        );
        assert_eq!(t[8].pos, Pos { line: 2, col: 9 });
    }

    #[test]
    fn precedence_follows_c() {
        let s = parse("z = a + b * c << 1 < d && e | f;").unwrap();
        let StmtKind::Assign(_, None, e) = &s[0].kind else {
            panic!("{s:?}")
        };
        // && at the root, `<` under it, `<<` under that.
        let ExprKind::Binary(BinOp::And, l, _) = &e.kind else {
            panic!("{e:?}")
        };
        let ExprKind::Binary(BinOp::Lt, l2, _) = &l.kind else {
            panic!("{l:?}")
        };
        assert!(matches!(l2.kind, ExprKind::Binary(BinOp::Shl, _, _)));
    }

    #[test]
    fn parses_statements() {
        let s = parse(
            "const T a = (float)x, b; for (int k = 0; k < 4; ++k) { if (k) a += 1; else { b--; } } while (a > 0) a = a - 1; y[i] = static_cast<T>(a) ? 1 : 2;",
        )
        .unwrap();
        assert_eq!(s.len(), 4);
        assert!(matches!(s[0].kind, StmtKind::Decl(_, ref v) if v.len() == 2));
        assert!(matches!(s[1].kind, StmtKind::For(..)));
        assert!(matches!(s[2].kind, StmtKind::While(..)));
        assert!(matches!(
            s[3].kind,
            StmtKind::Assign(LValue::Index(..), None, _)
        ));
    }

    #[test]
    fn rejects_unsupported_constructs_with_position() {
        let e = parse("z = x;\n  switch (x) {}").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, col: 3 });
        assert_eq!(e.found, "switch");
        let e = parse("z = x++;").unwrap_err();
        assert!(e.message.contains("++"), "{e:?}");
        let e = parse("z = *p;").unwrap_err();
        assert!(e.message.contains("pointer"));
        let e = parse("z = x +;").unwrap_err();
        assert_eq!(e.found, ";");
        let e = parse("z = a = b;").unwrap_err();
        assert!(e.message.contains("chained"));
    }

    #[test]
    fn parses_preamble_functions() {
        let toks = lex("__device__ inline float sq(float v) { return v * v; }\nT twice(const T& a) { return a + a; }").unwrap();
        let tn = vec!["T".to_string()];
        let f = Parser::new(&toks, &tn).preamble().unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].params[0].1, "a");
        let toks = lex("#define SQ(x) x*x").unwrap();
        assert!(Parser::new(&toks, &tn).preamble().is_err());
        let toks = lex("float k = 2;").unwrap();
        assert!(Parser::new(&toks, &tn).preamble().is_err());
    }
}
