//! CUDA binary loading: CUBIN (NVIDIA ELF) and fatbin containers, kernel metadata, relocations.
