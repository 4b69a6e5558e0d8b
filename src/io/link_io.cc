#include "io/link_io.h"

namespace gale::io {

LinkIo::~LinkIo() = default;
bool LinkIo::wait_rx(int) {
  return true;
}

}  // namespace gale::io
