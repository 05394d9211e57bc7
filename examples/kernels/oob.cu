// Stores through an arbitrary address (a fault test passes an unmapped one).
extern "C" __global__ void oob_store(unsigned long long addr, int value) {
    *(volatile int*)addr = value;
}
