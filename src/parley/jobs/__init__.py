"""Durable jobs: a table of work to do at a time, done once, retried with backoff."""
