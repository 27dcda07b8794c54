"""Adapters of the Lambda emulator (`--serve`): Invoke API, Runtime API, the runtime process.

Imported only by `--serve`: the runtime on Lambda never loads the HTTP server machinery.
"""
