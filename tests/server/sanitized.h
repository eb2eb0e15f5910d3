// Whether this test binary (and so the server built beside it) runs under
// AddressSanitizer or ThreadSanitizer: their shadow memory and quarantines
// make a process's resident set meaningless as a measure of its own use.
//
//   if (!kSanitized) EXPECT_LT(peak_rss, bound);
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_SANITIZED_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_SANITIZED_H_

namespace tensor_transform::server::test_support {

#if defined(__has_feature)
#define TT_HAS_FEATURE(feature) __has_feature(feature)
#else
#define TT_HAS_FEATURE(feature) 0
#endif

// ThreadSanitizer alone: its interceptors (mmap among them) are not safe to
// enter from a handler of a fault raised inside instrumented code, so the
// SIGBUS guard's remap is exercised only outside TSan.
#if defined(__SANITIZE_THREAD__) || TT_HAS_FEATURE(thread_sanitizer)
inline constexpr bool kThreadSanitized = true;
#else
inline constexpr bool kThreadSanitized = false;
#endif

#if defined(__SANITIZE_ADDRESS__) || TT_HAS_FEATURE(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = kThreadSanitized;
#endif

#undef TT_HAS_FEATURE

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SANITIZED_H_
