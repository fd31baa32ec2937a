"""Inbound security: Meta's webhook signature and the GET handshake token."""
