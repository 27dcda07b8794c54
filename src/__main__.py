"""`python -m run_command_on_aws_lambda`: the same as the console script."""

import sys

from .app.cli import main

sys.exit(main())
