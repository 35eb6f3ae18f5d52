// nsnet-exec: run a program inside a network namespace, like `ip netns exec`.
//
//   nsnet-exec [--netns PATH] [--etc-dir DIR] -- CMD [ARG...]
//
// Node never forks into a namespace itself (a forked copy of a multi-threaded process is
// fragile); it spawns this helper, which is single-threaded, so setns() and unshare()
// apply to the whole process and its exec'd program.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void Die(const std::string& what, int err, int status = 127) {
  fprintf(stderr, "nsnet-exec: %s: %s\n", what.c_str(), strerror(err));
  exit(status);
}

[[noreturn]] void Usage() {
  fprintf(stderr, "usage: nsnet-exec [--netns PATH] [--etc-dir DIR] -- CMD [ARG...]\n");
  exit(127);
}

void EnterNetns(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die(std::string("open ") + path, errno);
  if (setns(fd, CLONE_NEWNET) != 0) Die(std::string("setns ") + path, errno);
  close(fd);
}

// What `ip netns exec NAME` does with /etc/netns/NAME: in a private mount namespace,
// bind each file of DIR over the same name in /etc (resolv.conf, hosts, …), and mount a
// sysfs of the new network namespace on /sys so /sys/class/net lists its links.
void BindEtc(const char* dir) {
  if (unshare(CLONE_NEWNS) != 0) Die("unshare mount namespace", errno);
  // Slave, not private: mounts made later on the host still propagate in, but ours stay
  // out of the host's namespace.
  if (mount("", "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) Die("make / a slave mount", errno);

  // sysfs shows the network namespace of whoever mounts it.
  unsigned long sysFlags = 0;
  struct statvfs vfs;
  if (statvfs("/sys", &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) sysFlags |= MS_RDONLY;
  umount2("/sys", MNT_DETACH);  // may not be mounted at all; that's fine
  if (mount("sysfs", "/sys", "sysfs", sysFlags, nullptr) != 0) Die("mount /sys", errno);

  DIR* d = opendir(dir);
  if (!d) Die(std::string("open ") + dir, errno);
  while (dirent* e = readdir(d)) {
    std::string src = std::string(dir) + "/" + e->d_name;
    struct stat st;
    if (stat(src.c_str(), &st) != 0) Die("stat " + src, errno);
    if (!S_ISREG(st.st_mode)) continue;  // also skips "." and ".."
    std::string dst = std::string("/etc/") + e->d_name;
    if (mount(src.c_str(), dst.c_str(), "none", MS_BIND, nullptr) != 0) Die("bind " + src + " -> " + dst, errno);
  }
  closedir(d);
}

}  // namespace

int main(int argc, char** argv) {
  const char* netns = nullptr;
  const char* etcDir = nullptr;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) Usage();
    if (arg == "--netns") {
      netns = argv[++i];
    } else if (arg == "--etc-dir") {
      etcDir = argv[++i];
    } else {
      Usage();
    }
  }
  if (i >= argc) Usage();

  if (netns) EnterNetns(netns);
  if (etcDir) BindEtc(etcDir);
  execvp(argv[i], argv + i);
  // 126: found but not runnable; 127: not found (the shell's convention).
  int err = errno;
  Die(std::string("exec ") + argv[i], err, (err == EACCES || err == EPERM || err == ENOEXEC) ? 126 : 127);
}
