"""What every feature shares, knowing none of them: parsing, payloads, errors, middleware, clicks,
shared blocks and the ``/peer`` dispatcher."""
