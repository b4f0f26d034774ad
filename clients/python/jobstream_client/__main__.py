"""``python -m jobstream_client``: the same command as the ``jobstream`` console script."""

import sys

from jobstream_client.cli import main

sys.exit(main())
