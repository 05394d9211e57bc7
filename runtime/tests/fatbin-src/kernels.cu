// Test kernels for nvbare's fatbin tests (scripts/assets/cuda-2-fatbins.sh builds them).
// Several template instantiations make the device code large enough that nvcc compresses it.

extern "C" __global__ void vec_add(const float* a, const float* b, float* c, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) c[i] = a[i] + b[i];
}

template <typename T, int UNROLL>
__global__ void saxpy_unrolled(T alpha, const T* x, T* y, int n) {
    int base = (blockIdx.x * blockDim.x + threadIdx.x) * UNROLL;
#pragma unroll
    for (int k = 0; k < UNROLL; ++k) {
        int i = base + k;
        if (i < n) y[i] = alpha * x[i] + y[i];
    }
}

template <typename T>
__global__ void block_reduce(const T* in, T* out, int n) {
    __shared__ T buf[256];
    int tid = threadIdx.x;
    T acc = T(0);
    for (int i = blockIdx.x * blockDim.x + tid; i < n; i += gridDim.x * blockDim.x) acc += in[i];
    buf[tid] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) buf[tid] += buf[tid + s];
        __syncthreads();
    }
    if (tid == 0) out[blockIdx.x] = buf[0];
}

template __global__ void saxpy_unrolled<float, 1>(float, const float*, float*, int);
template __global__ void saxpy_unrolled<float, 4>(float, const float*, float*, int);
template __global__ void saxpy_unrolled<float, 16>(float, const float*, float*, int);
template __global__ void saxpy_unrolled<double, 1>(double, const double*, double*, int);
template __global__ void saxpy_unrolled<double, 4>(double, const double*, double*, int);
template __global__ void saxpy_unrolled<double, 16>(double, const double*, double*, int);
template __global__ void block_reduce<float>(const float*, float*, int);
template __global__ void block_reduce<double>(const double*, double*, int);
template __global__ void block_reduce<int>(const int*, int*, int);
template __global__ void block_reduce<unsigned long long>(const unsigned long long*, unsigned long long*, int);
