"""``python -m minigrad.sentiment ...`` runs the command-line interface (see cli.py)."""
import sys

from .cli import main

sys.exit(main())
