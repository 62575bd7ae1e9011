"""Email: the durable outbox (every message is a row and a job) and what composes messages."""
