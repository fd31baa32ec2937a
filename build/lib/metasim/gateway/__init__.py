"""The reference gateway: Meta webhooks in, canonical envelopes through one pipeline, Graph sends out."""
