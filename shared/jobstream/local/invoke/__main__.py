import sys

from jobstream.local.invoke.cli import main

sys.exit(main())
