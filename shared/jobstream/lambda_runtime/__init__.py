"""jobstream's own Lambda runtime loop: response streaming for Python handlers.

Start it on the managed ``python3.x`` runtime with ``AWS_LAMBDA_EXEC_WRAPPER`` pointing at the
``exec-wrapper`` script shipped next to this package in the layer
(``/opt/python/jobstream/lambda_runtime/exec-wrapper``). See ``loop.py``. The context object it
hands to handlers lives outside this room (``jobstream.invocation_context``), so the jobs and API
code use it without importing the loop.
"""

from jobstream.lambda_runtime.loop import main

__all__ = ["main"]
