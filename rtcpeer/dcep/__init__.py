"""Data Channel Establishment Protocol (RFC 8832) and the sans-IO channel manager (RFC 8831)."""
