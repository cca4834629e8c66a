"""Everything Lago-specific: its profile (error body, pagination, key variable) and default spec,
rate-limit headers, bulk events, webhook signatures, and the shipped overlays. The generic call path
(call/, http/, codecs/) never imports it."""
