//! The `train_ptb` example's model, iterator and updater (included from the
//! example, so this runs the example's code) on a tiny configuration: the
//! loss falls, and a run resumed from a snapshot repeats the uninterrupted one.

#[allow(dead_code)]
#[path = "../examples/ptb_common/mod.rs"]
mod ptb_common;

use kusari::array::Array;
use kusari::datasets::get_ptb_words;
use kusari::iterators::{concat_examples, DatasetIterator};
use kusari::optimizer_hooks::GradientClipping;
use kusari::optimizers::{Optimizer, SGD};
use kusari::serializers::{LoadOptions, StateDict};
use kusari::training::extensions::{snapshot, Evaluator, LogEntry, LogReport, LogValue};
use kusari::training::{Trainer, Trigger, Unit};
use kusari::{functions as F, Link, Variable};
use ptb_common::{
    classifier, compute_perplexity, BpttUpdater, Model, ParallelSequentialIterator, RnnForLm,
};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

fn ids(a: &[i32]) -> Arc<Vec<i32>> {
    Arc::new(a.to_vec())
}

fn pairs(batch: &[Vec<Array>]) -> Vec<(i32, i32)> {
    let a = concat_examples(batch, None, None).unwrap();
    let x = a[0].to_vec::<i32>().unwrap();
    let t = a[1].to_vec::<i32>().unwrap();
    x.into_iter().zip(t).collect()
}

#[test]
fn parallel_sequential_iterator_walks_like_chainers() {
    let words: Vec<i32> = (0..10).collect();
    let mut it = ParallelSequentialIterator::new(ids(&words), 2, true).unwrap();
    // Cursors at 0 and 5; each example is (word, next word).
    assert_eq!(pairs(&it.next_batch().unwrap().unwrap()), [(0, 1), (5, 6)]);
    assert_eq!(it.previous_epoch_detail(), Some(0.0));
    for _ in 0..3 {
        it.next_batch().unwrap();
    }
    assert!(!it.is_new_epoch());
    // The fifth batch ends the epoch (5 batches of 2 words); the last target wraps.
    assert_eq!(pairs(&it.next_batch().unwrap().unwrap()), [(4, 5), (9, 0)]);
    assert!(it.is_new_epoch() && it.epoch() == 1);
    assert_eq!(it.epoch_detail(), 1.0);

    // The position survives a save and load.
    let state = StateDict::save(&it).unwrap();
    let mut other = ParallelSequentialIterator::new(ids(&words), 2, true).unwrap();
    state.load_into(&other, &LoadOptions::default()).unwrap();
    assert_eq!(other.epoch(), 1);
    assert_eq!(
        pairs(&other.next_batch().unwrap().unwrap()),
        pairs(&it.next_batch().unwrap().unwrap())
    );

    // Without repeat it stops after one pass, and reset starts over.
    let mut once = ParallelSequentialIterator::new(ids(&words), 3, false).unwrap();
    let mut n = 0;
    while once.next_batch().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 4, "ceil(10 / 3) batches");
    once.reset().unwrap();
    assert_eq!(
        pairs(&once.next_batch().unwrap().unwrap()),
        [(0, 1), (3, 4), (6, 7)]
    );

    assert!(ParallelSequentialIterator::new(ids(&[]), 2, true).is_err());
    assert!(ParallelSequentialIterator::new(ids(&words), 0, true).is_err());
}

struct Corpus {
    train: Arc<Vec<i32>>,
    valid: Arc<Vec<i32>>,
    n_vocab: usize,
}

fn corpus() -> Corpus {
    let p = get_ptb_words(Some(Path::new("/nonexistent/ptb"))).unwrap();
    Corpus {
        // 600 words: 20 updates of 5 cursors × 6 steps per epoch.
        train: ids(&p.train.to_vec::<i32>().unwrap()[..600]),
        valid: ids(&p.valid.to_vec::<i32>().unwrap()[..60]),
        n_vocab: p.vocab.len(),
    }
}

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kusari-ptb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The example's trainer, small: 16 units, 5 cursors, windows of 6 words.
fn trainer(c: &Corpus, stop: impl Into<Box<dyn Trigger>>, out: &Path) -> (Trainer, Rc<Model>) {
    F::set_seed(3);
    let rnn = RnnForLm::new(c.n_vocab, 16, 0).unwrap();
    let eval = Rc::new(classifier(rnn.clone()));
    let model = Rc::new(classifier(rnn));
    let mut opt = SGD::new();
    opt.set_hyperparam("lr", 1.0).unwrap();
    opt.setup(model.as_ref()).unwrap();
    opt.add_hook(Box::new(GradientClipping::new(5.0))).unwrap();
    let it = ParallelSequentialIterator::new(c.train.clone(), 5, true).unwrap();
    let updater = BpttUpdater::new(it, opt, model.clone(), 6, None).unwrap();
    let mut t = Trainer::new(updater, stop, out);
    let (e, h) = (eval.clone(), eval.clone());
    let val = ParallelSequentialIterator::new(c.valid.clone(), 1, false).unwrap();
    t.extend(
        Evaluator::new(val, eval, move |b: &[Variable]| {
            e.forward(&b[0], &b[1]).map(|_| ())
        })
        .eval_hook(move || {
            h.predictor.reset_state();
            Ok(())
        }),
    )
    .unwrap();
    t.extend(
        LogReport::new()
            .postprocess(compute_perplexity)
            .trigger((5, Unit::Iteration)),
    )
    .unwrap();
    (t, model)
}

fn log(t: &Trainer) -> Vec<LogEntry> {
    t.get_extension("LogReport")
        .unwrap()
        .log()
        .unwrap()
        .to_vec()
}

fn params(m: &Model) -> Vec<Vec<f32>> {
    m.namedparams()
        .into_iter()
        .map(|(_, p)| p.array().unwrap().to_vec::<f32>().unwrap())
        .collect()
}

#[test]
fn the_language_model_learns_and_resumes_exactly() {
    let c = corpus();
    let out_a = out_dir("a");
    let (mut ta, a) = trainer(&c, (2, Unit::Epoch), &out_a);
    ta.run().unwrap();
    let full = log(&ta);
    assert_eq!(ta.updater().iteration(), 40);
    assert_eq!(full.len(), 8);
    let ppl: Vec<f64> = full
        .iter()
        .map(|e| e.get("perplexity").unwrap().as_f64())
        .collect();
    // From about the vocabulary size (5 787) at the start.
    assert!(ppl[7] < ppl[0] * 0.5, "the perplexity falls: {ppl:?}");
    // The evaluator ran at each epoch's end and its perplexity is logged.
    let val: Vec<f64> = full
        .iter()
        .filter_map(|e| e.get("val_perplexity").map(LogValue::as_f64))
        .collect();
    assert_eq!(val.len(), 2, "{full:?}");
    assert!(val.iter().all(|v| v.is_finite() && *v > 1.0));

    // Interrupted at iteration 13, inside the first epoch, mid-text.
    let out_b = out_dir("b");
    let (mut tb, _) = trainer(&c, (13, Unit::Iteration), &out_b);
    tb.extend_with(snapshot(), None, Some((13, Unit::Iteration).into()), None)
        .unwrap();
    tb.run().unwrap();
    // Something else draws dropout masks in between: the snapshot restores them.
    F::set_seed(99);

    let (mut tc, cm) = trainer(&c, (2, Unit::Epoch), &out_b);
    tc.load_snapshot(out_b.join("snapshot_iter_13")).unwrap();
    assert_eq!(tc.updater().iteration(), 13);
    tc.run().unwrap();
    let resumed = log(&tc);
    // The LogReport's log and running means are in the snapshot too, so the
    // whole log is the uninterrupted one's, except the times (and the key
    // order of the lines read back from the snapshot's JSON).
    let drop_time = |log: &[LogEntry]| -> Vec<Vec<(String, LogValue)>> {
        log.iter()
            .map(|e| {
                let mut v: Vec<_> =
                    e.0.iter()
                        .filter(|(k, _)| k != "elapsed_time")
                        .cloned()
                        .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            })
            .collect()
    };
    assert_eq!(drop_time(&resumed), drop_time(&full));
    assert_eq!(
        params(&cm),
        params(&a),
        "the same final parameters, bit for bit"
    );
    std::fs::remove_dir_all(&out_a).unwrap();
    std::fs::remove_dir_all(&out_b).unwrap();
}
