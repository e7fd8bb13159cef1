"""The models-folder contract shared by the trainer and the dashboard.

Every file name, metric key, event kind, service state and exit code that
crosses the process boundary is spelled here and only here.
"""
