"""Tests of the crypto providers, below the device."""
