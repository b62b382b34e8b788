"""`make loadtest`: many concurrent chat sessions and a staff upload against one real `klimawissen serve`
on loopback, reported as throughput, latency percentiles, errors, citation checks and server memory."""
