"""Test helpers shared by the suites: real servers, real service folders, real receivers and waits.

serving (a free port, a served process), servicefolder (a seeded store, a configured folder,
a running service), waiting (wait on a positive signal), webhooks (a local HTTP receiver),
reviewfolder (a store with pending alerts), bigqueryfake (pandas-gbq against an in-process
HTTP layer), frames (small feedback frames), pagetext (what a Streamlit page shows as text), tampering
(a byte flipped in place).
``pytest`` puts ``tests/`` on the import path (``pythonpath`` in pyproject.toml).
"""
