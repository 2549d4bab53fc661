"""The web inbox: every email the account sent, rendered, and its lifecycle driven from a browser.

Served at the fake's root (``lettr_server.inbox_url``), beside ``/v1`` and ``/api``. Like the
dialects it is a thin intake: it reads the account and calls the state's own operations
(:func:`pytest_lettr.state.lifecycle.simulate`, the clock, the delivery engine, the domain store).
``app`` (Jinja2 and the pages) is imported on the first inbox request only.
"""
