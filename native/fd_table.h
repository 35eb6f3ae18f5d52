// Keeps the process's fd table grown ahead of the fds the addon hands out.
#pragma once

namespace nsnet {

// Called with each fd the addon gives JS to hold (a namespace's): once fds reach three
// quarters of the table, a short-lived thread grows it (see fd_table.cc).
void KeepFdTableAhead(int fd);

}  // namespace nsnet
