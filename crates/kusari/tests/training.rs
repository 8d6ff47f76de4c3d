//! The trainer, updater, triggers and extensions on a small hand-written
//! model, including resuming from a snapshot.

use kusari::array::{Array, DType};
use kusari::datasets::TupleDataset;
use kusari::functions as F;
use kusari::iterators::SerialIterator;
use kusari::optimizers::{Adam, Optimizer, SGD};
use kusari::reporter::report_variable;
use kusari::serializers::read_npz;
use kusari::training::extensions::*;
use kusari::training::triggers::*;
use kusari::training::{StandardUpdater, Trainer, Unit};
use kusari::{Link, Parameter, Variable};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

struct Affine {
    w: Parameter,
    b: Parameter,
}

impl Link for Affine {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("W", &self.w);
        f("b", &self.b);
    }
}

impl Affine {
    fn forward(&self, x: &Variable) -> kusari::Result<Variable> {
        let y = x.matmul(&self.w.var()?)?;
        let n = y.shape()[0];
        y.try_add(&F::broadcast_to(&self.b.var()?, &[n, 1])?)
    }

    fn loss(&self, b: &[Variable]) -> kusari::Result<Variable> {
        let d = self.forward(&b[0])?.try_sub(&b[1])?;
        let n = d.shape()[0] as f64;
        let loss = F::mul_constant(&d.pow(2.0).sum(None, false)?, 1.0 / n)?;
        report_variable("loss", &loss, Some(self))?;
        Ok(loss)
    }
}

fn model() -> Rc<Affine> {
    Rc::new(Affine {
        w: Parameter::new("W", Array::from_vec(vec![0.1f32, -0.2], &[2, 1]).unwrap()),
        b: Parameter::new("b", Array::zeros(&[1], DType::F32).unwrap()),
    })
}

/// y = 2 x0 - x1 + 0.5 on 20 points.
fn data() -> Arc<TupleDataset> {
    let xs: Vec<f32> = (0..40).map(|i| ((i * 7 % 13) as f32 - 6.0) / 6.0).collect();
    let ys: Vec<f32> = xs.chunks(2).map(|p| 2.0 * p[0] - p[1] + 0.5).collect();
    Arc::new(
        TupleDataset::new(vec![
            Array::from_vec(xs, &[20, 2]).unwrap(),
            Array::from_vec(ys, &[20, 1]).unwrap(),
        ])
        .unwrap(),
    )
}

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kusari-training-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn trainer(m: &Rc<Affine>, epochs: u64, out: &PathBuf) -> Trainer {
    trainer_until(m, (epochs, Unit::Epoch), out)
}

fn trainer_until(m: &Rc<Affine>, stop: impl Into<Box<dyn Trigger>>, out: &PathBuf) -> Trainer {
    let mut opt = Adam::new();
    opt.set_hyperparam("alpha", 0.05).unwrap();
    opt.setup(m.as_ref()).unwrap();
    let mm = m.clone();
    let updater = StandardUpdater::new(
        SerialIterator::new(data(), 6, true, true, 42).unwrap(),
        opt,
        m.clone(),
        move |b: &[Variable]| mm.loss(b),
    );
    Trainer::new(updater, stop, out)
}

fn losses(log: &[LogEntry]) -> Vec<f64> {
    log.iter()
        .map(|e| e.get("main/loss").unwrap().as_f64())
        .collect()
}

fn params(m: &Affine) -> Vec<f32> {
    let mut v = m.w.array().unwrap().to_vec::<f32>().unwrap();
    v.extend(m.b.array().unwrap().to_vec::<f32>().unwrap());
    v
}

#[test]
fn trainer_learns_and_writes_chainer_outputs() {
    let out = out_dir("learn");
    let m = model();
    let mut t = trainer(&m, 30, &out);
    let mm = m.clone();
    t.extend(Evaluator::new(
        SerialIterator::new(data(), 7, false, false, 0).unwrap(),
        m.clone(),
        move |b: &[Variable]| {
            assert!(!kusari::config::train() && !kusari::config::enable_backprop());
            mm.loss(b).map(|_| ())
        },
    ))
    .unwrap();
    t.extend(LogReport::new()).unwrap();
    t.extend(
        PrintReport::new(&["epoch", "main/loss", "validation/main/loss"]).out(std::io::sink()),
    )
    .unwrap();
    t.extend(ProgressBar::new()).unwrap();
    t.extend(PlotReport::new(&["main/loss", "validation/main/loss"], "epoch", "loss.png").unwrap())
        .unwrap();
    t.extend(DumpGraph::new("main/loss")).unwrap();
    t.extend(observe_lr("main", "lr")).unwrap();
    t.extend(FailOnNonNumber::new()).unwrap();
    t.extend(ParameterStatistics::new(m.clone(), "main"))
        .unwrap();
    t.extend(snapshot().n_retains(2)).unwrap();
    t.run().unwrap();
    assert!(t.run().is_err(), "a trainer runs once");

    let log = t
        .get_extension("LogReport")
        .unwrap()
        .log()
        .unwrap()
        .to_vec();
    assert_eq!(log.len(), 30);
    let l = losses(&log);
    assert!(l[29] < l[0] * 0.2, "the loss falls: {l:?}");
    let keys: Vec<&str> = log[0].0.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&keys[..2], ["main/loss", "validation/main/loss"]);
    assert_eq!(
        &keys[keys.len() - 3..],
        ["epoch", "iteration", "elapsed_time"]
    );
    assert!(keys.contains(&"lr") && keys.contains(&"main/W/grad/std"));
    assert_eq!(log[1].get("epoch"), Some(LogValue::Int(2)));
    // 20 examples in batches of 6: epoch 2 ends within iteration 7.
    assert_eq!(log[1].get("iteration"), Some(LogValue::Int(7)));

    // The file is Chainer's JSON and parses back to the same values.
    let text = std::fs::read_to_string(out.join("log")).unwrap();
    assert_eq!(text, log_to_json(&log));
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed[0]["epoch"], 1);
    assert_eq!(parsed.as_array().unwrap().len(), 30);

    let png = std::fs::read(out.join("loss.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let dot = std::fs::read_to_string(out.join("cg.dot")).unwrap();
    assert!(dot.starts_with("digraph") && dot.contains("->"));
    let mut snaps: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("snapshot_iter_"))
        .collect();
    snaps.sort();
    assert_eq!(
        snaps,
        ["snapshot_iter_100", "snapshot_iter_97"],
        "n_retains keeps the newest two"
    );
    let state = read_npz(out.join("snapshot_iter_100")).unwrap();
    for key in [
        "updater/iteration",
        "updater/model:main/W",
        "updater/optimizer:main/t",
        "updater/iterator:main/current_position",
        "updater/iterator:main/order",
        "extensions/LogReport/_log",
        "extension_triggers/LogReport/previous_iteration",
        "stop_trigger/previous_epoch_detail",
        "_snapshot_elapsed_time",
    ] {
        assert!(state.get(key).is_some(), "snapshot key {key}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn resume_reproduces_an_uninterrupted_run() {
    let out_a = out_dir("resume-a");
    let a = model();
    let mut ta = trainer(&a, 6, &out_a);
    ta.extend(LogReport::new()).unwrap();
    ta.run().unwrap();
    let full = losses(ta.get_extension("LogReport").unwrap().log().unwrap());

    // Interrupted at iteration 11, in the middle of the fourth epoch.
    let out_b = out_dir("resume-b");
    let b = model();
    let mut tb = trainer_until(&b, (11, Unit::Iteration), &out_b);
    tb.extend(LogReport::new()).unwrap();
    tb.extend_with(snapshot(), None, Some((11, Unit::Iteration).into()), None)
        .unwrap();
    tb.run().unwrap();

    let c = model();
    let mut tc = trainer(&c, 6, &out_b);
    tc.extend(LogReport::new()).unwrap();
    tc.extend_with(snapshot(), None, Some((11, Unit::Iteration).into()), None)
        .unwrap();
    tc.load_snapshot(out_b.join("snapshot_iter_11")).unwrap();
    assert_eq!(tc.updater().iteration(), 11);
    tc.run().unwrap();
    let resumed = losses(tc.get_extension("LogReport").unwrap().log().unwrap());
    assert_eq!(resumed, full, "the log continues with the same losses");
    assert_eq!(
        params(&c),
        params(&a),
        "the same final parameters, bit for bit"
    );
    assert_eq!(tc.updater().iteration(), ta.updater().iteration());

    // A snapshot of another model shape is refused without changing anything.
    let d = Rc::new(Affine {
        w: Parameter::new("W", Array::zeros(&[3, 1], DType::F32).unwrap()),
        b: Parameter::new("b", Array::zeros(&[1], DType::F32).unwrap()),
    });
    let mut td = trainer(&d, 6, &out_b);
    assert!(td.load_snapshot(out_b.join("snapshot_iter_11")).is_err());
    assert_eq!(td.updater().iteration(), 0);
    std::fs::remove_dir_all(&out_a).unwrap();
    std::fs::remove_dir_all(&out_b).unwrap();
}

#[test]
fn snapshot_autoload_and_snapshot_object() {
    let out = out_dir("autoload");
    let m = model();
    let mut t = trainer(&m, 2, &out);
    t.extend(snapshot().autoload(true)).unwrap();
    t.extend(snapshot_object(m.clone(), "model_epoch_{.updater.epoch}"))
        .unwrap();
    t.run().unwrap();
    let saved = read_npz(out.join("model_epoch_2")).unwrap();
    assert_eq!(saved.keys().collect::<Vec<_>>(), ["W", "b"]);
    let m2 = model();
    let mut t2 = trainer(&m2, 3, &out);
    t2.extend(snapshot().autoload(true)).unwrap();
    t2.run().unwrap();
    // It resumed at iteration 7 (2 epochs) and ran one more epoch, not three.
    assert_eq!(t2.updater().iteration(), 10);
    std::fs::remove_dir_all(&out).unwrap();
}

/// Records when a trigger fires, as an extension called every iteration.
struct Probe<T: Trigger> {
    trigger: T,
    fired: Rc<std::cell::RefCell<Vec<u64>>>,
}

impl<T: Trigger> Extension for Probe<T> {
    fn call(&mut self, trainer: &mut Trainer) -> kusari::Result<()> {
        if self.trigger.check(trainer) {
            self.fired.borrow_mut().push(trainer.updater().iteration());
        }
        Ok(())
    }
    fn default_name(&self) -> String {
        "probe".into()
    }
}

fn fired_at<T: Trigger + 'static>(
    trigger: T,
    iterations: u64,
    extra: Option<Box<dyn Extension>>,
) -> Vec<u64> {
    let out = out_dir("triggers");
    let m = model();
    let mut opt = SGD::new();
    opt.setup(m.as_ref()).unwrap();
    let mm = m.clone();
    let updater = StandardUpdater::new(
        SerialIterator::new(data(), 6, true, false, 0).unwrap(),
        opt,
        m.clone(),
        move |b: &[Variable]| mm.loss(b),
    );
    let mut t = Trainer::new(updater, (iterations, Unit::Iteration), &out);
    let fired = Rc::new(std::cell::RefCell::new(Vec::new()));
    if let Some(e) = extra {
        struct Wrap(Box<dyn Extension>);
        impl Extension for Wrap {
            fn call(&mut self, t: &mut Trainer) -> kusari::Result<()> {
                self.0.call(t)
            }
            fn default_name(&self) -> String {
                self.0.default_name()
            }
            fn priority(&self) -> i32 {
                PRIORITY_WRITER
            }
        }
        t.extend(Wrap(e)).unwrap();
    }
    t.extend(Probe {
        trigger,
        fired: fired.clone(),
    })
    .unwrap();
    t.run().unwrap();
    let _ = std::fs::remove_dir_all(&out);
    let v = fired.borrow().clone();
    v
}

#[test]
fn triggers_fire_like_chainers() {
    // 20 examples, batch 6: epochs end within iterations 4, 7, 10, 14, ...
    assert_eq!(
        fired_at(IntervalTrigger::new(3.0, Unit::Iteration), 10, None),
        [3, 6, 9]
    );
    assert_eq!(
        fired_at(IntervalTrigger::new(1.0, Unit::Epoch), 14, None),
        [4, 7, 10, 14]
    );
    assert_eq!(
        fired_at(IntervalTrigger::new(0.5, Unit::Epoch), 5, None),
        [2, 4, 5]
    );
    let manual = ManualScheduleTrigger::new(vec![2.0, 5.0], Unit::Iteration).unwrap();
    assert_eq!(fired_at(manual, 8, None), [2, 5]);
    assert_eq!(fired_at(OnceTrigger::new(), 4, None), [1]);
    // A value that falls, rises, falls: the minimum trigger fires at new minima.
    let values = [5.0, 3.0, 4.0, 1.0, 2.0, 0.5];
    let feed = || -> Option<Box<dyn Extension>> {
        Some(Box::new(observe_value("v", move |t: &mut Trainer| {
            Ok(values[t.updater().iteration() as usize - 1])
        })))
    };
    let min = MinValueTrigger::new("v", (1, Unit::Iteration));
    assert_eq!(fired_at(min, 6, feed()), [1, 2, 4, 6]);
    let max = MaxValueTrigger::new("v", (1, Unit::Iteration));
    assert_eq!(fired_at(max, 6, feed()), [1]);
    let early = EarlyStoppingTrigger::new("v")
        .patience(1)
        .check_trigger((1, Unit::Iteration))
        .max_trigger((100, Unit::Iteration));
    assert_eq!(fired_at(early, 6, feed()), [3, 5]);
    assert!(fired_at(TimeTrigger::new(1000.0), 3, None).is_empty());
}

#[test]
fn early_stopping_stops_training() {
    let out = out_dir("early");
    let m = model();
    let mut opt = SGD::new();
    opt.setup(m.as_ref()).unwrap();
    let mm = m.clone();
    let updater = StandardUpdater::new(
        SerialIterator::new(data(), 6, true, false, 0).unwrap(),
        opt,
        m.clone(),
        move |b: &[Variable]| mm.loss(b),
    );
    // A constant observed value never improves after the first check.
    let stop = EarlyStoppingTrigger::new("c")
        .patience(2)
        .check_trigger((1, Unit::Iteration));
    let mut t = Trainer::new(updater, Box::new(stop) as Box<dyn Trigger>, &out);
    t.extend_with(
        observe_value("c", |_| Ok(1.0)),
        None,
        Some((1, Unit::Iteration).into()),
        None,
    )
    .unwrap();
    t.run().unwrap();
    assert_eq!(t.updater().iteration(), 3);
    let _ = std::fs::remove_dir_all(&out);
}

fn lr_after(ext: impl Extension + 'static, iterations: u64) -> Vec<f64> {
    let out = out_dir("shift");
    let m = model();
    let mut opt = SGD::new();
    opt.setup(m.as_ref()).unwrap();
    let mm = m.clone();
    let updater = StandardUpdater::new(
        SerialIterator::new(data(), 6, true, false, 0).unwrap(),
        opt,
        m.clone(),
        move |b: &[Variable]| mm.loss(b),
    );
    let mut t = Trainer::new(updater, (iterations, Unit::Iteration), &out);
    t.extend_with(
        ext,
        None,
        Some((1, Unit::Iteration).into()),
        Some(PRIORITY_EDITOR),
    )
    .unwrap();
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let s2 = seen.clone();
    t.extend_with(
        observe_value("lr", move |t: &mut Trainer| {
            let v = t
                .updater_mut()
                .get_optimizer("main")
                .unwrap()
                .hyperparam("lr")
                .unwrap();
            s2.borrow_mut().push(v);
            Ok(v)
        }),
        None,
        Some((1, Unit::Iteration).into()),
        Some(PRIORITY_READER),
    )
    .unwrap();
    t.run().unwrap();
    let _ = std::fs::remove_dir_all(&out);
    let v = seen.borrow().clone();
    v
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
}

#[test]
fn hyperparameter_schedules() {
    let v = lr_after(
        ExponentialShift::new("lr", 0.5)
            .unwrap()
            .init(0.8)
            .target(0.15),
        4,
    );
    assert!(close(&v, &[0.4, 0.2, 0.15, 0.15]), "{v:?}");
    assert!(ExponentialShift::new("lr", -1.0).is_err());
    let v = lr_after(StepShift::new("lr", 0.1, 2).unwrap().init(1.0), 4);
    assert!(close(&v, &[1.0, 0.1, 0.1, 0.01]), "{v:?}");
    let v = lr_after(LinearShift::new("lr", (1.0, 0.0), (1, 3)), 4);
    assert!(close(&v, &[1.0, 0.5, 0.0, 0.0]), "{v:?}");
    let v = lr_after(InverseShift::new("lr", 1.0, 1.0).unwrap().init(1.0), 3);
    assert!(close(&v, &[0.5, 1.0 / 3.0, 0.25]), "{v:?}");
    let v = lr_after(PolynomialShift::new("lr", 1.0, 4).init(1.0), 3);
    assert!(close(&v, &[0.75, 0.5, 0.25]), "{v:?}");
    let v = lr_after(MultistepShift::new("lr", 0.1, vec![2, 3], Some(1.0)), 4);
    assert!(close(&v, &[1.0, 0.1, 0.01, 0.01]), "{v:?}");
    let v = lr_after(WarmupShift::new("lr", Some(0.0), 2, 1.0), 3);
    assert!(close(&v, &[0.5, 1.0, 1.0]), "{v:?}");
}

#[test]
fn fail_on_non_number_stops_a_diverging_run() {
    let out = out_dir("nan");
    let m = model();
    let mut t = trainer(&m, 2, &out);
    t.extend(FailOnNonNumber::new()).unwrap();
    m.w.set_array(Array::full(&[2, 1], f64::NAN, DType::F32).unwrap())
        .unwrap();
    let e = t.run().unwrap_err().to_string();
    assert!(e.contains("diverge"), "{e}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn log_json_and_number_formats_match_python() {
    let log = vec![
        LogEntry(vec![
            ("main/loss".into(), LogValue::Float(0.1)),
            ("main/accuracy".into(), LogValue::Float(1e-5)),
            ("epoch".into(), LogValue::Int(1)),
            ("iteration".into(), LogValue::Int(3)),
            ("elapsed_time".into(), LogValue::Float(2.5)),
        ]),
        LogEntry(vec![
            ("main/loss".into(), LogValue::Float(123456789.25)),
            ("epoch".into(), LogValue::Int(2)),
            ("iteration".into(), LogValue::Int(6)),
            ("elapsed_time".into(), LogValue::Float(1e16)),
        ]),
        LogEntry(vec![]),
    ];
    // Python 3: json.dumps(log, indent=4) of the same list.
    let expected = "[\n    {\n        \"main/loss\": 0.1,\n        \"main/accuracy\": 1e-05,\n        \"epoch\": 1,\n        \"iteration\": 3,\n        \"elapsed_time\": 2.5\n    },\n    {\n        \"main/loss\": 123456789.25,\n        \"epoch\": 2,\n        \"iteration\": 6,\n        \"elapsed_time\": 1e+16\n    },\n    {}\n]";
    assert_eq!(log_to_json(&log), expected);
    assert_eq!(log_to_json(&[]), "[]");
    let g: Vec<String> = [0.5, 123456.7, 1e-5, 3.0, 0.000123456789, 1e100, -2.5]
        .iter()
        .map(|v| format_g(*v))
        .collect();
    assert_eq!(
        g,
        [
            "0.5",
            "123457",
            "1e-05",
            "3",
            "0.000123457",
            "1e+100",
            "-2.5"
        ]
    );
}

#[test]
fn log_postprocess_and_eval_hook() {
    let out = out_dir("postprocess");
    let m = model();
    let mut t = trainer(&m, 3, &out);
    let hooks = Rc::new(std::cell::Cell::new(0));
    let (h, mm) = (hooks.clone(), m.clone());
    t.extend(
        Evaluator::new(
            SerialIterator::new(data(), 7, false, false, 0).unwrap(),
            m.clone(),
            move |b: &[Variable]| mm.loss(b).map(|_| ()),
        )
        .eval_hook(move || {
            h.set(h.get() + 1);
            Ok(())
        }),
    )
    .unwrap();
    t.extend(LogReport::new().postprocess(|e: &mut LogEntry| {
        let loss = e.get("main/loss").unwrap().as_f64();
        e.set("perplexity", LogValue::Float(loss.exp()));
        e.set("epoch", LogValue::Int(-1)); // replaces, does not duplicate
    }))
    .unwrap();
    t.run().unwrap();
    assert_eq!(hooks.get(), 3, "the hook runs once per evaluation");
    let log = t.get_extension("LogReport").unwrap().log().unwrap();
    for e in log {
        let loss = e.get("main/loss").unwrap().as_f64();
        assert_eq!(e.get("perplexity"), Some(LogValue::Float(loss.exp())));
        assert_eq!(e.0.iter().filter(|(k, _)| k == "epoch").count(), 1);
        assert_eq!(e.get("epoch"), Some(LogValue::Int(-1)));
    }
    let text = std::fs::read_to_string(out.join("log")).unwrap();
    assert!(text.contains("\"perplexity\""), "the file has it too");
    std::fs::remove_dir_all(&out).unwrap();
}
