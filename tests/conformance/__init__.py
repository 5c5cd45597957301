"""Lanterna device conformance suite (see conftest.py for how to run it on your device)."""
