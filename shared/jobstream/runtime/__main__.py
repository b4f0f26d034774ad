"""``python -m jobstream.runtime``: what the exec wrapper runs instead of the managed loop."""

from jobstream.runtime.loop import main

raise SystemExit(main())
