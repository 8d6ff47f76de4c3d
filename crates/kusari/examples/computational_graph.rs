//! The seed example of define-by-run: `z = x**2 + 2xy + y`, its gradients,
//! and its graph written as Graphviz DOT to `graph.dot` (or the path given).
//!
//! `cargo run --release --example computational_graph -- [out.dot]`

use kusari::array::array;
use kusari::{computational_graph, Variable};

fn main() -> kusari::Result<()> {
    let x = Variable::new(array![3.0f32]);
    let y = Variable::new(array![4.0f32]);
    x.set_name("x");
    y.set_name("y");
    let z = x.pow(2.0) + 2.0 * &x * &y + &y;
    z.set_name("z");
    z.backward()?;
    println!("z = {}", z.item::<f32>()?);
    println!(
        "dz/dx = {} (2x + 2y)",
        x.grad().expect("x has a gradient").item::<f32>()?
    );
    println!(
        "dz/dy = {} (2x + 1)",
        y.grad().expect("y has a gradient").item::<f32>()?
    );
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "graph.dot".into());
    let dot = computational_graph::build(&[&z]).to_dot();
    // Write a temporary file and rename it, so a crash never leaves half a graph.
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, dot)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| kusari::Error::Value {
            op: "computational_graph",
            message: format!("cannot write {path}: {e}"),
        })?;
    println!("graph written to {path} (render with: dot -Tpng {path} -o graph.png)");
    Ok(())
}
