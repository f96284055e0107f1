"""Sinks: everything that shows or writes a run.  They only read events and results."""
