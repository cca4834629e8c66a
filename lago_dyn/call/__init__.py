"""A call as pure steps around the network: `pipeline.prepare` (arguments -> request) and
`pipeline.handle` (answer -> result or error), and the `profile` seam for what an API says outside its spec."""
