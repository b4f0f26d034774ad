"""jobstream's own Lambda runtime loop: response streaming for Python handlers.

Start it on the managed ``python3.x`` runtime with ``AWS_LAMBDA_EXEC_WRAPPER`` pointing at the
``exec-wrapper`` script shipped next to this package in the layer
(``/opt/python/jobstream/runtime/exec-wrapper``). See ``loop.py``.
"""

from jobstream.runtime.context import InvocationContext

__all__ = ["InvocationContext"]
