"""Crypto providers: the algorithms of the spec behind small, typed contexts (see ``base``)."""
