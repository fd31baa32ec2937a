"""HTTP routes of the gateway: webhooks, health/ready, metrics, outbound API, admin API."""
