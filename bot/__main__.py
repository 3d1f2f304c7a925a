"""`python -m bot`: the same as the `brandbot` command."""

import sys

from bot.cli import main

sys.exit(main())
