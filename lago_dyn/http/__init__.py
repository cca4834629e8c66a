"""The only network code: requests and answers as data and the send loop's rules (`wire`), the
sync send loop and its transports (requests, httpx2), the whole-call deadline, the async transport."""
