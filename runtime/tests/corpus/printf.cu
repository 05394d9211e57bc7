// printf: calls vprintf, an external the CUDA driver links in at load time (unresolved in the cubin).
extern "C" __global__ void hello(int x)
{
    printf("hello from %d: %d\n", threadIdx.x, x);
}
