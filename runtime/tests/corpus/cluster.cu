// Thread-block clusters (sm_90+): compile-time cluster dims and a cluster-launch kernel using distributed shared memory.
extern "C" __global__ void __cluster_dims__(2, 1, 1) cluster2(int *out)
{
    __shared__ int s[64];
    s[threadIdx.x & 63] = threadIdx.x;
    out[blockIdx.x * blockDim.x + threadIdx.x] = s[(threadIdx.x + 1) & 63];
}

extern "C" __global__ void __cluster_dims__(4, 2, 1) cluster8(float *out)
{
    out[blockIdx.x] = 1.0f;
}

extern "C" __global__ void __launch_bounds__(256) cluster_dsmem(int *out)
{
    __shared__ int s[32];
    unsigned rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
    s[threadIdx.x & 31] = rank;
    asm volatile("barrier.cluster.arrive; barrier.cluster.wait;");
    unsigned remote = (unsigned)__cvta_generic_to_shared(&s[threadIdx.x & 31]);
    unsigned mapped;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(mapped) : "r"(remote), "r"(rank ^ 1));
    int v;
    asm volatile("ld.shared::cluster.u32 %0, [%1];" : "=r"(v) : "r"(mapped));
    out[threadIdx.x] = v;
    asm volatile("barrier.cluster.arrive; barrier.cluster.wait;");
}
