"""Notifications by e-mail: verified addresses, what each user wants, and an outbox drained by a
worker outside the request."""
