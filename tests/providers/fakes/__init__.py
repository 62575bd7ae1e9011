"""Fakes of the meeting services, built from their published API documentation.

Each checks what the real service checks (BigBlueButton's checksum, Zoom's client
credentials, PKCE, tokens and their rotation, prosody's token verification for Jitsi Meet)
and refuses what the real one would refuse, answering in the same format.
"""
