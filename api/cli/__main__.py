"""`python -m api.cli ...`: the ``dispatch`` command without its console script."""

import sys

from api.cli import main

sys.exit(main())
