"""Bytes only: content-addressed blob stores and manifests."""
