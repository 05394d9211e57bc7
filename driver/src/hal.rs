//! Per-chip choices (QMD version, class ids, ...) made once from the chipset.
