pub use kusari_array as array;
