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

/// Why an example that checks its GPU results failed: a runtime error, or results that differ
/// from the CPU's.
#[derive(Debug)]
pub enum CheckError {
    /// The runtime refused or failed an operation.
    Runtime(nvbare::Error),
    /// The GPU ran, but its results differ from the CPU reference.
    Mismatch(String),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Runtime(e) => write!(f, "{e}"),
            CheckError::Mismatch(m) => write!(f, "wrong results: {m}"),
        }
    }
}

impl std::error::Error for CheckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckError::Runtime(e) => e.source(),
            CheckError::Mismatch(_) => None,
        }
    }
}

impl From<nvbare::Error> for CheckError {
    fn from(e: nvbare::Error) -> Self {
        CheckError::Runtime(e)
    }
}
