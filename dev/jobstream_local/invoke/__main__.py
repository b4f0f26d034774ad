import sys

from jobstream_local.invoke.cli import main

sys.exit(main())
