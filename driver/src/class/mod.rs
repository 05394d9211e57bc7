//! Typed class methods (host/channel, compute, copy engine), one type per method; numbers from NVIDIA class headers.
