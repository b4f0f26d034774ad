"""``python -m jobstream.lambda_runtime``: run by the exec wrapper instead of the managed loop."""

from jobstream.lambda_runtime.loop import main

raise SystemExit(main())
