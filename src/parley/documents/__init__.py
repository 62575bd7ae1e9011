"""Documents kept with a room: shared notes, presentations and whiteboard drawings.

Notes and drawings are Yjs documents (pycrdt on the server, yjs in the browser), synchronised
over `/r/<slug>/yjs/<notes|board>`, relayed between processes on the bus and stored in the
database. Presentations are uploaded files whose pages are rendered off the request, by a job
that runs `parley.documents.render` in a process of its own with time and memory limits.
"""
