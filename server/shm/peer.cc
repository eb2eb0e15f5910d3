#include "server/shm/peer.h"

#include "absl/strings/match.h"

namespace tensor_transform::server::shm {

bool IsLocalPeer(absl::string_view peer) {
  for (absl::string_view local : {"unix:", "unix-abstract:", "ipv4:127.",
                                  "ipv6:%5B::1%5D:", "ipv6:[::1]:"}) {
    if (absl::StartsWith(peer, local)) return true;
  }
  return false;
}

}  // namespace tensor_transform::server::shm
