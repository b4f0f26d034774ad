"""Lambda's execution environment, reproduced on this machine for the tests and the bench.

Dev tooling (not in the layer): what a function meets on Lambda that the local stack leaves out.

- ``layout``: the `sam build` output as Lambda unpacks it: the function at ``/var/task``, the
  layer at ``/opt``, every file with the zip's fixed 1980 timestamp.
- ``compile_count``: which sources a cold import compiled (bytecode missing or not valid).
"""
