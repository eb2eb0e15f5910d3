// Whether a gRPC peer (ServerContext::peer()) is on this host: shared
// memory is offered only to such peers.
//
//   if (!IsLocalPeer(context->peer())) ...  // PERMISSION_DENIED
#ifndef TENSOR_TRANSFORM_SERVER_SHM_PEER_H_
#define TENSOR_TRANSFORM_SERVER_SHM_PEER_H_

#include "absl/strings/string_view.h"

namespace tensor_transform::server::shm {

// A Unix socket ("unix:/path", "unix-abstract:name") or loopback
// ("ipv4:127.x.y.z:port", "ipv6:[::1]:port", the brackets percent-encoded
// as gRPC writes them since 1.47). Anything else, a server's in-process
// channel included, is not.
bool IsLocalPeer(absl::string_view peer);

}  // namespace tensor_transform::server::shm

#endif  // TENSOR_TRANSFORM_SERVER_SHM_PEER_H_
