// Does nothing: launch-overhead and latency measurements.
extern "C" __global__ void empty() {}
