"""Adapters: the process executor, which runs one `CommandSpec` as a supervised child process.

`process_executor.ProcessExecutor` is the entry; the other modules are its parts:
- `program_lookup`: find the file a program name refers to, as a shell would, and check it
  against the allow-list;
- `supervisor`: one loop per command, from start until the child and its leftovers are gone
  (exit, timeout, grace, shutdown, port readiness);
- `process_group`: signal the command's process group and what it orphaned; the process table;
- `input_feeder`: write the command's `input` to its stdin without blocking the loop;
- `port_probe`: notice when one of the command's ports accepts a connection;
- `shutdown_signal`: SIGTERM and SIGINT as a file descriptor the loop waits on;
- output, in three layers: `forwarding_thread` is the one long-lived thread that forwards the
  output of every command; `command_output` is one command's two pipes handed to that thread;
  `output_stream` moves one stream (stdout or stderr) to its destination and keeps its tail.

Nothing is imported here, so a path that needs one part does not load the others.
"""
