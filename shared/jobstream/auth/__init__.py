"""Per-job bearer tokens: who may read a job's stream and status."""
