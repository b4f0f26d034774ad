"""A job's event log as a Server-Sent Events stream: replay after Last-Event-ID, then live tail."""
