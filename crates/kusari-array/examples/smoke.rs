use kusari_array::*;
fn main() -> Result<()> {
    let a = Array::arange(6)?.reshape(&[2, 3])?;
    println!("{a}");
    let b = &a.t() * 2;
    println!("{b} f={} c={}", b.is_f_contiguous(), b.is_c_contiguous());
    let x = array![[1.0f32, 2.0], [3.0, 4.0]];
    println!("{}", &x * 2.0);
    println!("{}", x.exp()?);
    println!("{}", a.slice(&s![.., ..;-1])?);
    let mut y = x.clone();
    y += &x;
    println!("{y} {}", x.shares_storage(&y));
    println!("{}", Array::linspace(0.0, 1.0, 5, true)?);
    Ok(())
}
