"""The local stack: everything `make run` needs to run the system on this machine without AWS."""
