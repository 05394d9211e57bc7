//! Shared by the examples: the committed example kernels and error printing.
#![allow(dead_code)]

/// `examples/kernels/*.cu` compiled for sm_80/86/89/90/100/120 by `scripts/build-example-kernels.sh`.
pub const KERNELS: &[u8] = include_bytes!("kernels/nvbare_examples.fatbin");

/// Prints `e` and its sources to stderr.
pub fn report(prog: &str, e: &dyn std::error::Error) {
    eprintln!("{prog}: {e}");
    let mut src = e.source();
    while let Some(s) = src {
        eprintln!("  caused by: {s}");
        src = s.source();
    }
}
