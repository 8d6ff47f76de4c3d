//! `Link`: a piece of a model that owns parameters (Chainer's `chainer.Link`;
//! a `Chain` is a link with child links).
//!
//! A link only has to say what it owns: its own parameters, its persistent
//! values and its children, each by name. Everything else — paths such as
//! `/predictor/l1/W`, `cleargrads`, `count_params`, copying parameters,
//! serialization — is provided on top of those three visitors.

use crate::array::{Device, Error, Result};
use crate::parameter::{Parameter, Persistent};
use crate::serializers::Serializer;
use crate::Variable;
use std::collections::HashMap;
use std::rc::Rc;

/// A model component that owns parameters. Implement the three `visit_*`
/// methods (all default to "none"); the rest is provided.
///
/// ```
/// use kusari::{array::{Array, DType}, Link, Parameter};
/// struct Affine { w: Parameter, b: Parameter }
/// impl Link for Affine {
///     fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
///         f("W", &self.w);
///         f("b", &self.b);
///     }
/// }
/// let l = Affine {
///     w: Parameter::new("W", Array::zeros(&[3, 2], DType::F32)?),
///     b: Parameter::new("b", Array::zeros(&[3], DType::F32)?),
/// };
/// let names: Vec<String> = l.namedparams().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["/W", "/b"]);
/// assert_eq!(l.count_params(), 9);
/// # Ok::<(), kusari::Error>(())
/// ```
pub trait Link {
    /// Calls `f` with each parameter this link owns directly, by name.
    fn visit_own_params(&self, _f: &mut dyn FnMut(&str, &Parameter)) {}

    /// Calls `f` with each persistent value this link owns directly, by name.
    fn visit_own_persistents(&self, _f: &mut dyn FnMut(&str, &Persistent)) {}

    /// Calls `f` with each child link, by name (a `Chain`'s links, a
    /// `ChainList`'s `"0"`, `"1"`, ...).
    fn visit_children(&self, _f: &mut dyn FnMut(&str, &dyn Link)) {}

    /// Serializes this link's parameters, persistents and children (Chainer's
    /// `Link.serialize`). Override to add more state, calling this first.
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        serialize_link(self, s)
    }

    /// Every parameter of this link and its descendants with its path
    /// (`/l1/W`), in registration order.
    fn namedparams(&self) -> Vec<(String, Parameter)> {
        let mut out = Vec::new();
        walk_params(self, "", &mut |path, p| out.push((path, p.clone())));
        out
    }

    /// Every parameter of this link and its descendants.
    fn params(&self) -> Vec<Parameter> {
        self.namedparams().into_iter().map(|(_, p)| p).collect()
    }

    /// Every persistent value of this link and its descendants with its path.
    fn namedpersistents(&self) -> Vec<(String, Persistent)> {
        let mut out = Vec::new();
        walk_persistents(self, "", &mut |path, p| out.push((path, p.clone())));
        out
    }

    /// The paths of this link (`"/"`) and of all its descendants (`"/l1"`, ...).
    fn namedlinks(&self) -> Vec<String> {
        let mut out = vec!["/".to_string()];
        walk_links(self, "", &mut out);
        out
    }

    /// Forgets every gradient (Chainer's `cleargrads`).
    fn cleargrads(&self) {
        for p in self.params() {
            p.cleargrad();
        }
    }

    /// Sets every initialized gradient to zeros (Chainer's `zerograds`).
    fn zerograds(&self) -> Result<()> {
        for p in self.params() {
            p.zerograd()?;
        }
        Ok(())
    }

    /// Total number of elements of the initialized parameters.
    fn count_params(&self) -> usize {
        self.params().iter().map(Parameter::size).sum()
    }

    /// Lets optimizers update every parameter again.
    fn enable_update(&self) {
        for p in self.params() {
            p.set_update_enabled(true);
        }
    }

    /// Freezes every parameter: optimizers skip them.
    fn disable_update(&self) {
        for p in self.params() {
            p.set_update_enabled(false);
        }
    }

    /// Whether any parameter is updated by optimizers.
    fn update_enabled(&self) -> bool {
        self.params().iter().any(Parameter::update_enabled)
    }

    /// Adds the gradients of `other`'s parameters to this link's, matched by
    /// path (Chainer's `addgrads`). A missing gradient in `other` adds
    /// nothing; a missing one here becomes a copy of `other`'s.
    fn addgrads(&self, other: &dyn Link) -> Result<()> {
        let src = params_by_path(other);
        let pairs = matched_params(self, &src, "Link::addgrads")?;
        for (path, dst, src) in &pairs {
            let (Some(g), true) = (src.grad(), dst.is_initialized()) else {
                continue;
            };
            let dst_shape = dst.array()?.shape().to_vec();
            if g.shape() != dst_shape.as_slice() {
                return Err(shape_mismatch(
                    "Link::addgrads",
                    path,
                    &dst_shape,
                    g.shape(),
                ));
            }
            let sum = match dst.grad() {
                Some(mine) => mine.add(&g.astype(mine.dtype())?)?,
                None => g.astype(dst.dtype())?,
            };
            dst.set_grad(Some(sum))?;
        }
        Ok(())
    }

    /// Copies the parameters and persistent values of `other` into this link,
    /// matched by path (Chainer's `copyparams(link, copy_persistent=True)`).
    /// A parameter still uninitialized here takes `other`'s shape; one still
    /// uninitialized in `other` is left as is (Chainer would initialize
    /// `other`'s; a copy should not change its source). Everything is checked
    /// before anything is written, so an error leaves this link unchanged.
    fn copyparams(&self, other: &dyn Link) -> Result<()> {
        let src = params_by_path(other);
        let pairs = matched_params(self, &src, "Link::copyparams")?;
        let mut src_pers = HashMap::new();
        walk_persistents(other, "", &mut |path, p| {
            src_pers.insert(path, p.clone());
        });
        let mut pers = Vec::new();
        let mut missing = None;
        walk_persistents(self, "", &mut |path, p| match src_pers.get(&path) {
            Some(s) => pers.push((path, p.clone(), s.clone())),
            None => missing = missing.take().or(Some(path)),
        });
        if let Some(path) = missing {
            return Err(Error::Value {
                op: "Link::copyparams",
                message: format!("the source link has no persistent value {path}"),
            });
        }
        for (path, dst, src) in &pairs {
            if let (Ok(d), Ok(s)) = (dst.array(), src.array()) {
                if d.shape() != s.shape() {
                    return Err(shape_mismatch(
                        "Link::copyparams",
                        path,
                        d.shape(),
                        s.shape(),
                    ));
                }
            }
        }
        for (path, dst, src) in &pers {
            let (d, s) = (dst.borrow(), src.borrow());
            if d.shape() != s.shape() {
                return Err(shape_mismatch(
                    "Link::copyparams",
                    path,
                    d.shape(),
                    s.shape(),
                ));
            }
        }
        for (_, dst, src) in &pairs {
            if let Ok(s) = src.array() {
                // Arrays are copy-on-write, so sharing the buffer is a copy.
                dst.set_array(s.astype(dst.dtype())?)?;
            }
        }
        for (_, dst, src) in &pers {
            let s = src.get();
            let d = s.astype(dst.borrow().dtype())?;
            dst.set(d);
        }
        Ok(())
    }

    /// Moves every parameter (with its gradient) and persistent value to
    /// `device` (Chainer's `to_device`; `to_cpu`/`to_gpu` are `to_device`
    /// with `Device::Cpu`/`Device::cuda(n)?`). Parameters and persistents keep
    /// their identity, so optimizers and other holders see the moved arrays.
    fn to_device(&self, device: Device) -> Result<()> {
        for p in self.params() {
            if let Ok(v) = p.var() {
                v.to_device(device)?;
            }
        }
        for (_, p) in self.namedpersistents() {
            let moved = p.borrow().to_device(device)?;
            p.set(moved);
        }
        Ok(())
    }
}

fn shape_mismatch(op: &'static str, path: &str, dst: &[usize], src: &[usize]) -> Error {
    Error::Shape {
        op,
        message: format!("{path}: this link has shape {dst:?}, the other {src:?}"),
    }
}

fn params_by_path(link: &(impl Link + ?Sized)) -> HashMap<String, Parameter> {
    link.namedparams().into_iter().collect()
}

type Matched = Vec<(String, Parameter, Parameter)>;

/// This link's parameters paired with `src`'s by path; a path `src` lacks is
/// an error naming it.
fn matched_params(
    link: &(impl Link + ?Sized),
    src: &HashMap<String, Parameter>,
    op: &'static str,
) -> Result<Matched> {
    link.namedparams()
        .into_iter()
        .map(|(path, p)| match src.get(&path) {
            Some(s) => Ok((path, p, s.clone())),
            None => Err(Error::Value {
                op,
                message: format!("the other link has no parameter {path}"),
            }),
        })
        .collect()
}

/// A link called with one input (Chainer calls links with `__call__`; in
/// Rust a method is the idiom). `Sequential`, `Classifier` and the examples
/// are generic over it.
pub trait Forward {
    /// Computes the output for `x`.
    fn forward(&self, x: &Variable) -> Result<Variable>;
}

impl<F: Forward + ?Sized> Forward for &F {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        (**self).forward(x)
    }
}

macro_rules! forward_link_through {
    ($($ptr:ident),*) => {$(
        /// Shares a link: the updater's loss, the evaluator and the optimizer
        /// can all hold the same model.
        impl<L: Link + ?Sized> Link for $ptr<L> {
            fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
                (**self).visit_own_params(f)
            }
            fn visit_own_persistents(&self, f: &mut dyn FnMut(&str, &Persistent)) {
                (**self).visit_own_persistents(f)
            }
            fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
                (**self).visit_children(f)
            }
            fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
                (**self).serialize(s)
            }
        }

        impl<F: Forward + ?Sized> Forward for $ptr<F> {
            fn forward(&self, x: &Variable) -> Result<Variable> {
                (**self).forward(x)
            }
        }
    )*};
}
forward_link_through!(Rc, Box);

/// A list of links is a link whose children are named `"0"`, `"1"`, ... —
/// a `Vec` field of a `#[derive(Chain)]` struct gives Chainer's
/// `ChainList` paths (`/layers/0/W`).
impl<L: Link> Link for Vec<L> {
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        for (i, l) in self.iter().enumerate() {
            f(&i.to_string(), l);
        }
    }
}

/// What [`copy_link`] does with the parameters (Chainer's `Link.copy(mode)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyMode {
    /// Independent copies of the parameters, gradients and persistents
    /// (Chainer's `'copy'`).
    Copy,
    /// Fresh parameters drawn by the new link's initializers, with the shapes
    /// of the source's initialized ones (Chainer's `'init'`).
    Init,
}

/// A new link like `src` (Chainer's `Link.copy(mode)`).
///
/// A Rust trait object cannot return a copy of its own concrete type, so the
/// new link comes from `build` — the same constructor that made `src` — and
/// then receives `src`'s state according to `mode`. Chainer's `'share'` mode
/// (a new link object whose parameters are the same) is `Clone` here:
/// `Parameter` and `Persistent` are shared handles, so a `#[derive(Clone)]`
/// link clones into one that shares them.
///
/// ```
/// use kusari::{copy_link, links::Linear, CopyMode, Link};
/// let a = Linear::new(3, 2);
/// let b = copy_link(&a, CopyMode::Copy, || Ok(Linear::new(3, 2)))?;
/// assert_eq!(a.w.array()?.to_vec::<f32>()?, b.w.array()?.to_vec::<f32>()?);
/// assert!(!a.w.ptr_eq(&b.w));
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn copy_link<L: Link>(src: &L, mode: CopyMode, build: impl FnOnce() -> Result<L>) -> Result<L> {
    let dst = build()?;
    match mode {
        CopyMode::Copy => {
            dst.copyparams(src)?;
            let src_params = params_by_path(src);
            for (path, p) in dst.namedparams() {
                if let Some(g) = src_params.get(&path).and_then(Parameter::grad) {
                    p.set_grad(Some(g))?;
                }
            }
        }
        CopyMode::Init => {
            let src_params = params_by_path(src);
            let pairs = matched_params(&dst, &src_params, "copy_link")?;
            for (_, d, s) in pairs {
                if let Ok(a) = s.array() {
                    d.initialize(a.shape())?;
                }
            }
        }
    }
    Ok(dst)
}

fn join(prefix: &str, name: &str) -> String {
    format!("{prefix}/{name}")
}

fn walk_params(link: &(impl Link + ?Sized), prefix: &str, f: &mut dyn FnMut(String, &Parameter)) {
    link.visit_own_params(&mut |name, p| f(join(prefix, name), p));
    link.visit_children(&mut |name, child| walk_params(child, &join(prefix, name), f));
}

fn walk_persistents(
    link: &(impl Link + ?Sized),
    prefix: &str,
    f: &mut dyn FnMut(String, &Persistent),
) {
    link.visit_own_persistents(&mut |name, p| f(join(prefix, name), p));
    link.visit_children(&mut |name, child| walk_persistents(child, &join(prefix, name), f));
}

fn walk_links(link: &(impl Link + ?Sized), prefix: &str, out: &mut Vec<String>) {
    link.visit_children(&mut |name, child| {
        let path = join(prefix, name);
        out.push(path.clone());
        walk_links(child, &path, out);
    });
}

/// The default [`Link::serialize`]: own parameters, persistents, then
/// children under their names — Chainer's key layout (`l1/W`, `bn/avg_mean`).
pub fn serialize_link(link: &(impl Link + ?Sized), s: &mut Serializer<'_>) -> Result<()> {
    let mut result = Ok(());
    link.visit_own_params(&mut |name, p| {
        if result.is_ok() {
            result = s.parameter(name, p);
        }
    });
    link.visit_own_persistents(&mut |name, p| {
        if result.is_ok() {
            result = s.persistent(name, p);
        }
    });
    link.visit_children(&mut |name, child| {
        if result.is_ok() {
            result = child.serialize(&mut s.child(name));
        }
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::{Array, DType};

    struct Leaf {
        w: Parameter,
        n: Persistent,
    }
    impl Link for Leaf {
        fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
            f("W", &self.w);
        }
        fn visit_own_persistents(&self, f: &mut dyn FnMut(&str, &Persistent)) {
            f("N", &self.n);
        }
    }
    struct Model {
        a: Leaf,
        b: Leaf,
    }
    impl Link for Model {
        fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
            f("a", &self.a);
            f("b", &self.b);
        }
    }
    fn leaf(n: usize) -> Leaf {
        Leaf {
            w: Parameter::new("W", Array::ones(&[n], DType::F32).unwrap()),
            n: Persistent::new(Array::zeros(&[], DType::I64).unwrap()),
        }
    }

    #[test]
    fn paths_follow_the_tree() {
        let m = Model {
            a: leaf(2),
            b: leaf(3),
        };
        let names: Vec<_> = m.namedparams().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["/a/W", "/b/W"]);
        let pers: Vec<_> = m.namedpersistents().into_iter().map(|(n, _)| n).collect();
        assert_eq!(pers, ["/a/N", "/b/N"]);
        assert_eq!(m.namedlinks(), ["/", "/a", "/b"]);
        assert_eq!(m.count_params(), 5);
    }

    #[test]
    fn freezing_and_clearing_reach_every_parameter() {
        let m = Model {
            a: leaf(2),
            b: leaf(3),
        };
        m.disable_update();
        assert!(!m.update_enabled());
        m.a.w
            .set_grad(Some(Array::ones(&[2], DType::F32).unwrap()))
            .unwrap();
        m.cleargrads();
        assert!(m.a.w.grad().is_none());
        m.zerograds().unwrap();
        assert_eq!(m.b.w.grad().unwrap().to_vec::<f32>().unwrap(), vec![0.0; 3]);
    }
}
