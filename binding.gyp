{
  # nsnet is Linux-only (network namespaces, netlink): elsewhere both targets are empty.
  'targets': [
    {
      # The addon: fds, namespace syscalls, the netlink request loop.
      'target_name': 'nsnet',
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-Wall', '-Wextra', '-Werror'],
      'cflags_cc': ['-std=c++17', '-Wall', '-Wextra', '-Werror'],
      'conditions': [
        ['OS=="linux"', {
          'sources': [
            'native/addon.cc',
            'native/errors.cc',
            'native/fd_table.cc',
            'native/file_lock.cc',
            'native/inet_socket.cc',
            'native/netlink_plan.cc',
            'native/netlink_socket.cc',
            'native/netlink_transact.cc',
            'native/netns.cc',
            'native/ns_fd.cc',
            'native/ns_thread.cc',
            'native/sysctl.cc',
            'native/thread_worker.cc',
          ],
        }, {
          'type': 'none',
        }],
      ],
    },
    {
      # The exec helper: setns (+ /etc binds), then execvp. Spawned by lib/, never forked.
      'target_name': 'nsnet-exec',
      'type': 'executable',
      'cflags': ['-Wall', '-Wextra', '-Werror'],
      'cflags_cc': ['-std=c++17', '-Wall', '-Wextra', '-Werror'],
      'conditions': [
        ['OS=="linux"', { 'sources': ['native/exec_helper.cc'] }, { 'type': 'none' }],
      ],
    },
  ],
}
