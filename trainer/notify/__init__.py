"""Webhook notifications: :mod:`~trainer.notify.webhook` builds, signs and posts one payload;
:mod:`~trainer.notify.sender` delivers them from a background thread with retries and records each
delivery in the event log. What is sent, and when, is decided by :mod:`trainer.service.alerts`.
"""
