"""People: presence, direct calls, invitations to meetings and the notifications they leave."""
