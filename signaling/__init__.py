"""Signaling transports for rtcpeer (offers, answers, ICE candidates). Never imported by rtcpeer."""
