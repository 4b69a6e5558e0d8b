#include "io/port_io.h"

namespace gale::io {

PortIo::~PortIo() = default;
bool PortIo::wait_rx(int) {
  return true;
}

}  // namespace gale::io
