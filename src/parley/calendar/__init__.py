"""The calendar: events with attendees and a videoconference link, invitations, a feed."""
