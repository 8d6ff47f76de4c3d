//! The reporter: observers, scopes, summaries and their saved state.

use kusari::array::{Array, DType};
use kusari::reporter::*;
use kusari::serializers::{LoadOptions, StateDict};
use kusari::{Link, Parameter, Variable};
use std::cell::RefCell;

struct Leaf {
    w: Parameter,
}
impl Link for Leaf {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("w", &self.w);
    }
}
struct Net {
    pad: Parameter,
    child: Leaf,
}
impl Link for Net {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("pad", &self.pad);
    }
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        f("child", &self.child);
    }
}

fn net() -> Net {
    Net {
        pad: Parameter::new("pad", Array::zeros(&[1], DType::F32).unwrap()),
        child: Leaf {
            w: Parameter::new("w", Array::zeros(&[1], DType::F32).unwrap()),
        },
    }
}

#[test]
fn reports_are_named_by_observer_and_scoped() {
    // Without an active reporter, reports go nowhere and succeed.
    report(&[("x", 1.0)], None).unwrap();
    assert!(!is_reporting());

    let n = net();
    let mut r = Reporter::new();
    r.add_observer("main", &n);
    r.add_observers("main", &n);
    assert_eq!(r.observer_name(&n.child), Some("main/child"));
    let obs = r
        .scope(|| {
            assert!(is_reporting());
            report(&[("loss", 2.0)], Some(&n))?;
            report(&[("acc", 0.5)], Some(&n.child))?;
            report_variable(
                "v",
                &Variable::new(Array::full(&[1], 3.0, DType::F32)?),
                None,
            )?;
            // A nested scope collects its own values.
            let inner = report_scope(|| report(&[("inner", 1.0)], Some(&n)))?;
            assert_eq!(inner.get("main/inner"), Some(1.0));
            Ok(())
        })
        .unwrap();
    let keys: Vec<&str> = obs.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["main/loss", "main/child/acc", "v"]);
    assert!(!is_reporting());

    let stranger = net();
    let err = r.scope(|| report(&[("x", 1.0)], Some(&stranger)));
    assert!(
        err.is_err(),
        "an unregistered observer is an error, as in Chainer"
    );
    let err = r.scope(|| {
        report_variable(
            "x",
            &Variable::new(Array::zeros(&[2], DType::F32).unwrap()),
            None,
        )
    });
    assert!(err.is_err(), "only size-1 values are reported");
}

#[test]
fn summaries_compute_mean_and_std() {
    let mut s = Summary::new();
    for v in [1.0, 2.0, 3.0, 4.0] {
        s.add(v, 1.0);
    }
    let (mean, std) = s.make_statistics();
    assert_eq!(mean, 2.5);
    assert!((std - 1.25f64.sqrt()).abs() < 1e-12);
    assert!(Summary::new().compute_mean().is_nan());

    let mut d = DictSummary::new();
    let mut o = Observation::new();
    o.insert("b", 1.0);
    o.insert("a", 3.0);
    d.add(&o);
    let mut o2 = Observation::new();
    o2.insert("a", 5.0);
    d.add(&o2);
    let m = d.compute_mean();
    assert_eq!(m.iter().collect::<Vec<_>>(), [("b", 1.0), ("a", 4.0)]);
    assert_eq!(d.make_statistics().get("a.std"), Some(1.0));

    // Saved with Chainer's keys and restored.
    let cell = RefCell::new(d.clone());
    let state = StateDict::save(&cell).unwrap();
    assert!(state.get("a/_x").is_some() && state.get("b/_n").is_some());
    let back = RefCell::new(DictSummary::new());
    state.load_into(&back, &LoadOptions::default()).unwrap();
    assert_eq!(back.into_inner(), d);
}
