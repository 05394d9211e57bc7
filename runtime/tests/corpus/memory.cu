// Static and dynamic shared memory, local-memory stack, __constant__ and global data, launch bounds, barriers.
__constant__ float coeffs[64] = {1.0f, 2.0f, 3.0f};
__constant__ int table[16];
__device__ int counter;
__device__ float initialised[8] = {0.5f, 1.5f, 2.5f};
__device__ int *counter_ptr = &counter;   // pointer in initialised global data: a 64-bit relocation
__device__ float *init_ptr = initialised;

extern "C" __global__ void static_shared(float *out)
{
    __shared__ float tile[256];
    __shared__ double other[32];
    tile[threadIdx.x] = out[threadIdx.x] * coeffs[threadIdx.x & 63];
    if (threadIdx.x < 32)
        other[threadIdx.x] = tile[threadIdx.x];
    __syncthreads();
    out[threadIdx.x] = tile[255 - threadIdx.x] + (float)other[threadIdx.x & 31];
}

extern "C" __global__ void dynamic_shared(float *out, int n)
{
    extern __shared__ float dyn[];
    dyn[threadIdx.x] = out[threadIdx.x];
    __syncthreads();
    out[threadIdx.x] = dyn[(threadIdx.x + n) % blockDim.x];
}

extern "C" __global__ void local_stack(int *out, int k)
{
    int scratch[200];   // indexed by run-time values: lives in local memory
    for (int i = 0; i < 200; i++)
        scratch[i] = i * k + table[i & 15];
    out[threadIdx.x] = scratch[(threadIdx.x * 7 + k) % 200];
}

extern "C" __global__ void __launch_bounds__(128, 4) bounded(float *out)
{
    out[threadIdx.x] *= coeffs[threadIdx.x & 63];
}

extern "C" __global__ void __launch_bounds__(1024) bounded_max(float *out)
{
    out[threadIdx.x] += 1.0f;
}

extern "C" __global__ void globals(int *out)
{
    atomicAdd(counter_ptr, 1);
    out[threadIdx.x] = counter + (int)init_ptr[threadIdx.x & 7] + (int)initialised[1];
}

extern "C" __global__ void barriers(float *out)
{
    __shared__ float s[128];
    s[threadIdx.x] = out[threadIdx.x];
    __syncthreads();
    if (threadIdx.x < 64) {
        asm volatile("bar.sync 1, 64;");
        s[threadIdx.x] += s[threadIdx.x + 64];
    }
    __syncthreads();
    out[threadIdx.x] = s[threadIdx.x ^ 1];
}

__device__ __noinline__ int recurse(int n, int *p)
{
    int buf[16];
    for (int i = 0; i < 16; i++)
        buf[i] = p[i] + n;
    return n <= 0 ? buf[n & 15] : recurse(n - 1, buf) + buf[n & 15];
}

extern "C" __global__ void recursion(int *out, int n)
{
    out[threadIdx.x] = recurse(n, out);
}

extern "C" __global__ void __maxnreg__(32) maxreg(float *out, float a)
{
    float acc = 0.0f;
    for (int i = 0; i < 64; i++)
        acc = acc * a + out[(threadIdx.x + i) & 255];
    out[threadIdx.x] = acc;
}
