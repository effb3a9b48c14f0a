"""The browser simulator behind ``salesbot demo``: WeCom in a browser tab, talking to the real app.

``stack.py`` wires one process: the app (SQLite, worker, H5 pages), the fake WeCom
on a free port with the member-side API, demo data and a movable clock.
``router.py`` serves the page (``static/``, no build step, no CDN) and its small API:
people, the clock and a pass-through to the fake WeCom -- every chat action goes
through the fake and the real, encrypted callback, never straight to a handler.
"""
