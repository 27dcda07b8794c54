"""Entry script of the standalone build: the console script, once PyInstaller's traces are gone.

PyInstaller needs a script file, not a module, and the package's `__main__` uses relative
imports, so this file imports the CLI by its absolute name.
"""

import os
import sys
from collections.abc import Mapping, MutableMapping, MutableSequence

# What PyInstaller's bootloader saves the user's LD_LIBRARY_PATH as, before it puts its own first.
SAVED_LIBRARY_PATH = "LD_LIBRARY_PATH_ORIG"
# The folder of the build (under sys._MEIPASS) that holds ssl and _ssl, off sys.path.
TLS_DIRECTORY = "tls"
IDEMPOTENCY_TABLE_VARIABLE = "RUN_COMMAND_IDEMPOTENCY_TABLE"
REFERENCE_OPENING = "{{resolve:"  # what src/domain/references.py parses


def enable_tls(environ: Mapping[str, str], path: MutableSequence[str], bundle: str) -> None:
    """Make ssl importable when the runtime calls AWS over https: the idempotency guard is on
    (DynamoDB), or a variable of the function holds a `{{resolve:...}}` reference (Secrets
    Manager, Systems Manager).

    urllib3 imports ssl at its own import whenever ssl can be found, which costs 10 ms and
    loads OpenSSL; the Runtime API needs neither. So otherwise (the table unset or blank, as
    the settings read it, and no reference) ssl stays out of reach. This runs before anything
    imports urllib3.
    """
    refers = any(REFERENCE_OPENING in value for value in environ.values())
    if environ.get(IDEMPOTENCY_TABLE_VARIABLE, "").strip() or refers:
        path.append(os.path.join(bundle, TLS_DIRECTORY))


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
        enable_tls(os.environ, sys.path, getattr(sys, "_MEIPASS", ""))
        restore_environment(os.environ)
    # Imported only now, so that nothing can import urllib3 before enable_tls has run.
    from run_command_on_aws_lambda.app.cli import main

    sys.exit(main())
