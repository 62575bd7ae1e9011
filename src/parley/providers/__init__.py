"""External meeting systems administrators plug in: Parley's own rooms, Jitsi, BigBlueButton, Zoom.

`base` holds the contract every provider implements, `registry` finds them (entry points of
the `parley.providers` group), `service` keeps their configurations and one instance per
configuration, `flows` calls them and turns their failures into clear messages.
"""
