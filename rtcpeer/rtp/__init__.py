"""Sans-IO RTP/RTCP: packets, RTCP, receive statistics, the RTCP interval, and the session."""
