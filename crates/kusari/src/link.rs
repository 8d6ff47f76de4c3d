//! `Link`: a piece of a model that owns parameters (Chainer's `chainer.Link`;
//! a `Chain` is a link with child links).
//!
//! A link only has to say what it owns: its own parameters, its persistent
//! values and its children, each by name. Everything else — paths such as
//! `/predictor/l1/W`, `cleargrads`, `count_params`, copying parameters,
//! serialization — is provided on top of those three visitors.

use crate::array::Result;
use crate::parameter::{Parameter, Persistent};
use crate::serializers::Serializer;

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
