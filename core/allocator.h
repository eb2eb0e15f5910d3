// Process-wide malloc settings for payloads of hundreds of MB.
//
//   int main(int argc, char** argv) {
//     tensor_transform::core::ConfigureAllocatorForLargePayloads();
//     ...
//
// glibc serves every allocation above 32 MiB with a fresh mmap and unmaps it
// on free, so each 200 MB request buffer page-faults in anew (~0.7 s at
// 15 us per 4 KiB page on our machines). Serving them from the heap and
// keeping freed memory, in one arena for all threads, lets the next request
// reuse warm pages. Transparent
// huge pages for that heap need the environment, read before main runs:
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (scripts and the container set it).
#ifndef TENSOR_TRANSFORM_CORE_ALLOCATOR_H_
#define TENSOR_TRANSFORM_CORE_ALLOCATOR_H_

namespace tensor_transform::core {

// Call first thing in main, before any thread starts. Peak RSS is unchanged
// (it is set by the largest concurrent payloads); freed payload memory is
// kept for reuse instead of returned to the kernel.
void ConfigureAllocatorForLargePayloads();

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_ALLOCATOR_H_
