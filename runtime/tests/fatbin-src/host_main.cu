// Host program linked into a test executable (never run by the tests: they only parse its .nv_fatbin section).
#include <cstdio>

extern "C" __global__ void scale(float* x, float s, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= s;
}

int main() {
    std::printf("nvbare fatbin test executable\n");
    return 0;
}
