// Whether this test binary (and so the server built beside it) runs under
// AddressSanitizer or ThreadSanitizer: their shadow memory and quarantines
// make a process's resident set meaningless as a measure of its own use.
//
//   if (!kSanitized) EXPECT_LT(peak_rss, bound);
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_SANITIZED_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_SANITIZED_H_

namespace tensor_transform::server::test_support {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// ThreadSanitizer alone: its interceptors (mmap among them) are not safe to
// enter from a handler of a fault raised inside instrumented code, so the
// SIGBUS guard's remap is exercised only outside TSan.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitized = true;
#else
inline constexpr bool kThreadSanitized = false;
#endif
#else
inline constexpr bool kThreadSanitized = false;
#endif

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SANITIZED_H_
