//! The recorded graph as Graphviz DOT (Chainer's `chainer.computational_graph`).

use crate::function_node::FunctionCall;
use crate::variable::VarNode;
use crate::Variable;
use std::collections::HashSet;
use std::fmt::Write;
use std::rc::Rc;

/// A snapshot of the graph behind some output variables.
pub struct ComputationalGraph {
    /// `(id, label)` of each variable node.
    pub variables: Vec<(usize, String)>,
    /// `(id, label)` of each function call.
    pub functions: Vec<(usize, String)>,
    /// Edges `(from id, to id)`: variable → function for inputs, function → variable for outputs.
    pub edges: Vec<(usize, usize)>,
}

fn var_label(n: &VarNode) -> String {
    let (shape, dtype) = n.meta.borrow().clone();
    match n.name.borrow().as_ref() {
        Some(name) => format!("{name}: {shape:?}, {dtype}"),
        None => format!("{shape:?}, {dtype}"),
    }
}

/// Walks the graph from `outputs` back to the leaves.
///
/// ```
/// use kusari::{array::array, computational_graph, Variable};
/// let x = Variable::new(array![1.0f32]);
/// let y = (&x * 2.0).exp()?;
/// let dot = computational_graph::build(&[&y]).to_dot();
/// assert!(dot.contains("MulConstant") && dot.contains("Exp"));
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn build(outputs: &[&Variable]) -> ComputationalGraph {
    let mut g = ComputationalGraph {
        variables: Vec::new(),
        functions: Vec::new(),
        edges: Vec::new(),
    };
    let mut seen_vars: HashSet<usize> = HashSet::new();
    let mut seen_funcs: HashSet<usize> = HashSet::new();
    let mut stack: Vec<Rc<VarNode>> = outputs.iter().map(|v| v.node().clone()).collect();
    while let Some(node) = stack.pop() {
        let vid = Rc::as_ptr(&node) as usize;
        if !seen_vars.insert(vid) {
            continue;
        }
        g.variables.push((vid, var_label(&node)));
        let creator: Option<Rc<FunctionCall>> = node.creator.borrow().clone();
        if let Some(call) = creator {
            let fid = Rc::as_ptr(&call) as usize;
            g.edges.push((fid, vid));
            if seen_funcs.insert(fid) {
                g.functions.push((fid, call.label().to_string()));
                for input in &call.inputs {
                    g.edges.push((Rc::as_ptr(input) as usize, fid));
                    stack.push(input.clone());
                }
            }
        }
    }
    g
}

impl ComputationalGraph {
    /// The graph in Graphviz DOT: variables as ellipses (shape and dtype), functions as boxes.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph graphname{rankdir=TB;\n");
        for (id, label) in &self.variables {
            let _ = writeln!(
                s,
                "{id} [label=\"{}\",shape=\"oval\",fillcolor=\"#E0E0E0\",style=\"filled\"];",
                label.replace('"', "\\\"")
            );
        }
        for (id, label) in &self.functions {
            let _ = writeln!(
                s,
                "{id} [label=\"{label}\",shape=\"record\",fillcolor=\"#6495ED\",style=\"filled\"];"
            );
        }
        for (a, b) in &self.edges {
            let _ = writeln!(s, "{a} -> {b};");
        }
        s.push_str("}\n");
        s
    }
}
