"""App: the Lambda emulator (`--serve`), composing the adapters of `adapters/emulator/`.

`cli` (options, serving), `invoker` (one invocation at a time), `sandbox` (runtime process and
its Runtime API), `reports` (what Lambda answers and logs for each ending).
"""
