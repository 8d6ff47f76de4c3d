//! CPU reductions
