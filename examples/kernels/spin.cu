// Spins for `cycles` SM clock cycles (used to test bounded waits), then writes 1 to *done.
extern "C" __global__ void spin(long long cycles, int* done) {
    long long start = clock64();
    while (clock64() - start < cycles) {
    }
    if (threadIdx.x == 0 && blockIdx.x == 0) *done = 1;
}
