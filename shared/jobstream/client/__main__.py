"""``python -m jobstream.client``: the same command as the ``jobstream`` console script."""

import sys

from jobstream.client.cli import main

sys.exit(main())
