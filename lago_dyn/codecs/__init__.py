"""What goes on the wire and how to read it back: bodies by media type (`media`), parameters by
style (`params`, one table both ways) and sequential media types read as they arrive (`streams`)."""
