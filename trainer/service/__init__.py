"""The trainer service: its loop (runner), the control requests, triggers, one training cycle, status, locks and recovery."""
