"""Entry script of the standalone build: the console script, once PyInstaller's traces are gone.

PyInstaller needs a script file, not a module, and the package's `__main__` uses relative
imports, so this file imports the CLI by its absolute name.
"""

import os
import sys
from collections.abc import MutableMapping

from run_command_on_aws_lambda.app.cli import main

# What PyInstaller's bootloader saves the user's LD_LIBRARY_PATH as, before it puts its own first.
SAVED_LIBRARY_PATH = "LD_LIBRARY_PATH_ORIG"


def restore_environment(environ: MutableMapping[str, str]) -> None:
    """Give back the environment the runtime was started with, so the commands inherit it.

    The bootloader points LD_LIBRARY_PATH at the build's own libraries (a vendor's program would
    then load our libz or libffi instead of its own) and adds `_PYI_*` variables (which would
    mislead a command that is itself a PyInstaller build). The runtime has its libraries
    loaded by now and needs neither.
    """
    saved = environ.pop(SAVED_LIBRARY_PATH, None)
    if saved is None:
        environ.pop("LD_LIBRARY_PATH", None)
    else:
        environ["LD_LIBRARY_PATH"] = saved
    for name in [name for name in environ if name.startswith("_PYI_")]:
        del environ[name]


if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        restore_environment(os.environ)
    sys.exit(main())
