"""``python -m microgradnode`` runs the command line."""

import sys

from microgradnode.cli import main

sys.exit(main())
