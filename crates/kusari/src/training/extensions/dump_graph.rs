//! `DumpGraph`: the computational graph of the loss as Graphviz DOT.

use super::{Extension, Trainer};
use crate::array::{Error, Result};
use crate::serializers::Serializer;
use crate::training::write_atomic;

/// Writes the graph of the loss of the first iteration to `<out>/cg.dot`
/// (Chainer's `DumpGraph("main/loss")`). kusari reports plain numbers, so
/// the graph comes from the loss variable the updater computed; only the
/// root `"main/loss"` (the `"main"` optimizer's loss) is available.
pub struct DumpGraph {
    root_name: String,
    filename: String,
    called: bool,
}

impl DumpGraph {
    /// Dumps the graph of `root_name` (`"main/loss"`) into `cg.dot`.
    pub fn new(root_name: &str) -> DumpGraph {
        DumpGraph {
            root_name: root_name.into(),
            filename: "cg.dot".into(),
            called: false,
        }
    }

    /// Another file name.
    pub fn filename(mut self, name: &str) -> Self {
        self.filename = name.into();
        self
    }
}

impl Extension for DumpGraph {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        if self.root_name != "main/loss" {
            return Err(Error::Value {
                op: "DumpGraph",
                message: format!(
                    "root {:?} is not available; kusari can dump \"main/loss\" only",
                    self.root_name
                ),
            });
        }
        if !self.called {
            trainer.updater_mut().set_keep_loss(true);
        }
        Ok(())
    }

    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        if self.called {
            return Ok(());
        }
        let Some(loss) = trainer.updater().last_loss() else {
            return Ok(());
        };
        let dot = crate::computational_graph::build(&[&loss]).to_dot();
        write_atomic(&trainer.out().join(&self.filename), dot.as_bytes())?;
        self.called = true;
        trainer.updater_mut().set_keep_loss(false);
        Ok(())
    }

    fn default_name(&self) -> String {
        "dump_graph".into()
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        s.scalar("_flag_called", &mut self.called)
    }
}
