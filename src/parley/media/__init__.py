"""Audio and video: the browsers carry the media; Parley gives them ICE servers and signalling."""
