#include "io/link_io.h"

namespace gale::io {

LinkIo::~LinkIo() = default;
bool LinkIo::wait_rx(int, int) {
  return true;
}

}  // namespace gale::io
