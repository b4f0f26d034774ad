"""``make invoke``: run one Lambda handler locally, without Docker, and watch its response stream.

``sam local invoke`` buffers a streamed response (and needs Docker); this runs the handler in this
process, through the same delivery code the Lambda runtime uses, and prints the prelude (status,
headers) and then every body chunk the moment the handler produces it. A buffered result (the API,
the worker) is printed as JSON. The response goes to stdout; logs and metrics go to stderr.

The event files in ``events/`` use placeholders (``{{job_id}}``, ``{{token}}``) that are filled
from a demo job seeded for the run, with a valid token for it; see ``events/README.md``.
"""

from jobstream_local.invoke.placeholders import PlaceholderError, fill_placeholders, placeholders_in
from jobstream_local.invoke.seed import SeededJob, seed_job

__all__ = ["PlaceholderError", "SeededJob", "fill_placeholders", "placeholders_in", "seed_job"]
