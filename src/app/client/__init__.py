"""App: `--invoke`, running a command on Lambda from here as if it ran locally."""
