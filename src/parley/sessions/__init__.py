"""Scheduled sessions: published by organisers, registered for by members, their meeting made
on a provider ahead of time and each member reminded with the link once."""
